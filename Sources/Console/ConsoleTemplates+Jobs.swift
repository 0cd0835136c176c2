/// The jobs pages: S3 Batch Operations and AWS Batch.
extension ConsoleTemplates {
    /// Tasks succeeded (and failed) of the total, as a bar and in words.
    static let progress = """
        <span class="progress">
        <svg class="bar" width="120" height="10" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="{{succeeded}} of {{total}} tasks succeeded, {{failed}} failed">
        <rect width="100" height="10" class="bar-total"/><rect width="{{succeededWidth}}" height="10" class="bar-succeeded"/><rect x="{{failedX}}" width="{{failedWidth}}" height="10" class="bar-failed"/>
        </svg>
        <span class="progress-text">{{succeeded}} / {{total}} succeeded{{#failed}}, <span class="error-text">{{failed}} failed</span>{{/failed}}</span>
        </span>
        """

    static let jobs = """
        {{> head}}
        <h1>Jobs</h1>
        {{#listed}}
        <section class="panel" id="s3-batch">
        <h2>S3 Batch Operations</h2>
        {{#s3Problem}}<p id="s3-problem" class="error" role="alert">{{s3Problem}}</p>{{/s3Problem}}
        {{#hasS3Jobs}}
        <div class="scroll">
        <table id="s3-jobs">
        <thead><tr><th scope="col">Job</th><th scope="col">Operation</th><th scope="col">Status</th><th scope="col">Progress</th>
        <th scope="col">Created</th></tr></thead>
        <tbody>
        {{#s3Jobs}}
        <tr class="s3-job" data-job="{{id}}">
        <td class="col-id"><a href="/console/jobs/s3/{{id}}">{{id}}</a>{{#description}} <span class="muted">{{description}}</span>{{/description}}</td>
        <td class="col-operation">{{operation}}</td>
        <td class="col-status"><span class="state">{{status}}</span></td>
        <td class="col-progress">{{> progress}}</td>
        <td class="col-created">{{created}}</td>
        </tr>
        {{/s3Jobs}}
        </tbody>
        </table>
        </div>
        {{#s3Next}}<nav class="paging" aria-label="S3 Batch Operations pages"><a id="s3-next" href="/console/jobs?{{s3Next}}">Next →</a></nav>{{/s3Next}}
        {{/hasS3Jobs}}
        {{^hasS3Jobs}}{{^s3Problem}}<p id="no-s3-jobs">No S3 Batch Operations jobs in {{caller.region}}.</p>{{/s3Problem}}{{/hasS3Jobs}}
        </section>
        <section class="panel" id="aws-batch">
        <h2>AWS Batch</h2>
        {{#batchProblem}}<p id="batch-problem" class="error" role="alert">{{batchProblem}}</p>{{/batchProblem}}
        {{#queues}}
        <section class="queue" data-queue="{{name}}">
        <h3><a href="/console/jobs?{{query}}">{{name}}</a> <span class="state">{{state}}</span></h3>
        {{#hasProblem}}<p class="error">{{problem}}</p>{{/hasProblem}}
        {{^hasProblem}}
        <nav class="status-counts" aria-label="Jobs of {{name}} by status">
        {{#counts}}<a class="status-count" data-status="{{status}}" href="/console/jobs?{{query}}"{{#current}} aria-current="true"{{/current}}>{{status}} <b>{{count}}</b></a> {{/counts}}
        </nav>
        {{#hasJobs}}
        {{#shownOf}}<p class="muted">Showing {{shownOf}}.</p>{{/shownOf}}
        <div class="scroll">
        <table class="batch-jobs">
        <thead><tr><th scope="col">Job</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Started</th>
        <th scope="col">Stopped</th><th scope="col" class="num">Exit</th><th scope="col">Reason</th></tr></thead>
        <tbody>
        {{#jobs}}
        <tr class="batch-job{{#failed}} failed{{/failed}}" data-job="{{id}}">
        <td class="col-name"><a href="/console/jobs/batch/{{id}}">{{name}}</a> <span class="muted">{{id}}</span></td>
        <td class="col-status"><span class="state">{{status}}</span></td>
        <td>{{created}}</td><td>{{started}}</td><td>{{stopped}}</td><td class="num">{{exitCode}}</td><td>{{reason}}</td>
        </tr>
        {{/jobs}}
        </tbody>
        </table>
        </div>
        {{/hasJobs}}
        {{^hasJobs}}<p class="muted">No jobs{{#status}} {{status}}{{/status}}.</p>{{/hasJobs}}
        {{/hasProblem}}
        </section>
        {{/queues}}
        {{^hasQueues}}{{^batchProblem}}<p id="no-queues">No AWS Batch job queues in {{caller.region}}.</p>{{/batchProblem}}{{/hasQueues}}
        </section>
        {{/listed}}
        {{> foot}}
        """

    static let batchJob = """
        {{> head}}
        {{> status}}
        {{#job}}
        <h1>{{name}} <span class="muted">{{id}}</span></h1>
        <dl class="facts" id="job-facts">
        <dt>Status</dt><dd id="job-status"><span class="state">{{status}}</span>{{#reason}} <span class="muted">{{reason}}</span>{{/reason}}</dd>
        <dt>Queue</dt><dd><a href="/console/jobs?queue={{queue}}">{{queue}}</a></dd>
        <dt>Definition</dt><dd>{{definition}}</dd>
        <dt>Command</dt><dd><code>{{command}}</code></dd>
        <dt>Created</dt><dd>{{created}}</dd>
        <dt>Started</dt><dd>{{started}}</dd>
        <dt>Stopped</dt><dd>{{stopped}}</dd>
        </dl>
        {{/job}}
        <h2>State changes</h2>
        {{#runProblem}}<p class="error">{{runProblem}}</p>{{/runProblem}}
        <table id="state-changes" class="timeline">
        <thead><tr><th scope="col">Status</th><th scope="col">Entered</th></tr></thead>
        <tbody>
        {{#changes}}<tr><td><span class="state">{{status}}</span></td><td>{{at}}</td></tr>{{/changes}}
        </tbody>
        </table>
        <h2>Attempts</h2>
        {{#hasAttempts}}
        <div class="scroll">
        <table id="attempts">
        <thead><tr><th scope="col" class="num">#</th><th scope="col">Started</th><th scope="col">Stopped</th><th scope="col" class="num">Exit</th>
        <th scope="col">Reason</th><th scope="col">Log stream</th></tr></thead>
        <tbody>
        {{#attempts}}<tr><td class="num">{{number}}</td><td>{{started}}</td><td>{{stopped}}</td><td class="num">{{exitCode}}</td><td>{{reason}}</td><td>{{logStream}}</td></tr>{{/attempts}}
        </tbody>
        </table>
        </div>
        {{/hasAttempts}}
        {{^hasAttempts}}<p class="muted">No attempt has finished yet.</p>{{/hasAttempts}}
        <h2>Output</h2>
        {{#elsewhere}}<p id="output-elsewhere" class="muted">Node {{elsewhere}} ran this job: its output is on that node (<code>cairn batch logs</code> there).</p>{{/elsewhere}}
        {{#outputs}}
        <section class="output" data-attempt="{{attempt}}">
        <h3>Attempt {{attempt}}{{#truncated}} <span class="muted">(the end of its output)</span>{{/truncated}}</h3>
        <pre class="stdout" aria-label="stdout of attempt {{attempt}}">{{stdout}}</pre>
        {{#hasStderr}}<pre class="stderr" aria-label="stderr of attempt {{attempt}}">{{stderr}}</pre>{{/hasStderr}}
        </section>
        {{/outputs}}
        {{^hasOutputs}}{{^elsewhere}}<p id="no-output" class="muted">No output yet.</p>{{/elsewhere}}{{/hasOutputs}}
        {{> foot}}
        """

    static let s3Job = """
        {{> head}}
        {{> status}}
        {{#job}}
        <h1>S3 Batch Operations job <span class="muted">{{id}}</span></h1>
        <dl class="facts" id="job-facts">
        <dt>Status</dt><dd id="job-status"><span class="state">{{status}}</span>{{#reason}} <span class="muted">{{reason}}</span>{{/reason}}</dd>
        <dt>Progress</dt><dd id="job-progress">{{> progress}}</dd>
        <dt>Operation</dt><dd>{{operation}}</dd>
        <dt>Description</dt><dd>{{description}}</dd>
        <dt>Priority</dt><dd>{{priority}}</dd>
        <dt>Manifest</dt><dd>{{manifest}}</dd>
        <dt>Report</dt><dd>{{report}}</dd>
        <dt>Role</dt><dd>{{role}}</dd>
        <dt>Created</dt><dd>{{created}}</dd>
        <dt>Ended</dt><dd>{{terminated}}</dd>
        </dl>
        {{/job}}
        {{#hasFailures}}
        <h2>Failures</h2>
        <ul id="job-failures">{{#failures}}<li class="error-text"><b>{{code}}</b> {{reason}}</li>{{/failures}}</ul>
        {{/hasFailures}}
        {{> foot}}
        """
}
