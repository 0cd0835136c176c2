import Mustache

/// The console's pages as Mustache templates, compiled into the binary (no files to ship, nothing fetched).
/// `{{name}}` escapes for HTML; the only unescaped values (`{{{...}}}`) are the dashboard's SVG charts, which
/// `SVGChart` draws and escapes itself.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in sources {
            // The templates are constants of this file: a parse error is a bug caught by the first test that renders.
            try! library.register(text, named: name)
        }
        return library
    }()

    static let sources: [(String, String)] = [("head", head), ("foot", foot), ("status", status), ("signin", signin), ("message", message),
                                              ("events", events), ("event", event), ("queues", queues), ("rules", rules),
                                              ("dashboard", dashboard), ("trails", trails), ("progress", progress), ("jobs", jobs),
                                              ("batchJob", batchJob), ("s3Job", s3Job), ("validate", validate)]

    static let head = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Cairn console</title>
        <link rel="stylesheet" href="/console/assets/console.css">
        <script src="/console/assets/console.js" defer></script>
        </head>
        <body>
        <header class="top">
        <a class="brand" href="/console/">Cairn</a>
        {{#caller}}
        <nav id="nav" aria-label="Console pages">
        {{#nav}}<a href="/console/{{path}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a>{{/nav}}
        </nav>
        <div class="who">
        <span id="whoami" title="Region {{region}}">{{name}}</span> <span class="region">{{region}}</span>
        <form id="signout" method="post" action="/console/signout">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <button id="signout-submit" type="submit">Sign out</button>
        </form>
        </div>
        {{/caller}}
        </header>
        <main id="main">
        """

    /// A page's call failed: denied (the denial's message says what is missing), or another error.
    static let status = """
        {{#hasError}}<p id="page-error" class="error" role="alert">{{error}}</p>{{/hasError}}
        {{#isDenied}}<p id="not-authorized" class="error" role="alert">Not authorized: {{denied}}</p>{{/isDenied}}
        """

    static let foot = """
        </main>
        </body>
        </html>
        """

    static let signin = """
        {{> head}}
        <section class="signin">
        <h1>Sign in to Cairn</h1>
        <p>Use an access key of this Cairn: an IAM user's, or the administrator's from the data directory's
        <code>credentials</code> file. What you see and do is what that key's policies allow, and it is recorded.</p>
        {{#hasError}}<p id="signin-error" class="error" role="alert">{{error}}</p>{{/hasError}}
        <form id="signin" method="post" action="/console/signin">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="next" value="{{next}}">
        <label for="accessKeyId">Access key ID</label>
        <input id="accessKeyId" name="accessKeyId" autocomplete="username" spellcheck="false" required value="{{accessKeyId}}">
        <label for="secretAccessKey">Secret access key</label>
        <input id="secretAccessKey" name="secretAccessKey" type="password" autocomplete="current-password" required>
        <label for="region">Region</label>
        <input id="region" name="region" spellcheck="false" value="{{region}}">
        <button id="signin-submit" type="submit">Sign in</button>
        </form>
        </section>
        {{> foot}}
        """

    static let message = """
        {{> head}}
        <h1>{{heading}}</h1>
        <p id="{{id}}" class="{{kind}}">{{text}}</p>
        <p><a href="/console/events">Event history</a></p>
        {{> foot}}
        """

    static let events = """
        {{> head}}
        <h1>Event history</h1>
        <form id="filters" method="get" action="/console/events" class="filters">
        {{#fields}}
        <div class="field">
        <label for="f-{{key}}">{{label}}</label>
        {{#isSelect}}
        <select id="f-{{key}}" name="{{key}}">
        {{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{text}}</option>{{/options}}
        </select>
        {{/isSelect}}
        {{^isSelect}}<input id="f-{{key}}" name="{{key}}" value="{{value}}" spellcheck="false" placeholder="{{placeholder}}">{{/isSelect}}
        </div>
        {{/fields}}
        <input type="hidden" name="PageSize" value="{{pageSize}}">
        <div class="actions">
        <button id="apply-filters" type="submit">Apply</button>
        <a id="clear-filters" href="/console/events">Clear</a>
        <span class="presets">Last:
        {{#presets}}<a class="preset" id="preset-{{name}}" href="/console/events?{{query}}">{{name}}</a> {{/presets}}
        </span>
        </div>
        </form>
        {{#hasError}}<p id="filter-error" class="error" role="alert">{{error}}</p>{{/hasError}}
        {{#isDenied}}<p id="not-authorized" class="error" role="alert">Not authorized: {{denied}}</p>{{/isDenied}}
        {{#listed}}
        <div class="toolbar">
        <fieldset id="columns">
        <legend>Columns</legend>
        {{#columns}}<label><input type="checkbox" name="col" value="{{id}}"{{#shown}} checked{{/shown}}> {{label}}</label> {{/columns}}
        </fieldset>
        {{#canTail}}<span class="live"><label for="live-tail"><input type="checkbox" id="live-tail" data-query="{{tailQuery}}"> Live tail</label>
        <span id="live-status" role="status" aria-live="polite"></span></span>{{/canTail}}
        <span class="downloads">Download:
        <a id="download-json" href="/console/events/download?{{downloadJSON}}" download>JSON</a>
        <a id="download-csv" href="/console/events/download?{{downloadCSV}}" download>CSV</a>
        </span>
        </div>
        <div class="scroll">
        <table id="events" class="{{hiddenColumns}}">
        <thead><tr>{{#columns}}<th scope="col" class="col-{{id}}">{{label}}</th>{{/columns}}</tr></thead>
        <tbody>
        {{#rows}}
        <tr class="event{{#failed}} failed{{/failed}}">
        <td class="col-time">{{time}}</td>
        <td class="col-user">{{user}}</td>
        <td class="col-name"><a href="/console/events/{{path}}">{{name}}</a></td>
        <td class="col-resource-type">{{resourceType}}</td>
        <td class="col-resource-name">{{resourceName}}</td>
        <td class="col-source">{{source}}</td>
        <td class="col-region">{{region}}</td>
        <td class="col-ip">{{ip}}</td>
        <td class="col-key">{{key}}</td>
        <td class="col-error">{{error}}</td>
        </tr>
        {{/rows}}
        </tbody>
        </table>
        </div>
        {{^hasRows}}<p id="no-events">No events match these filters.</p>{{/hasRows}}
        <nav class="paging" aria-label="Pages">
        {{#hasPrevious}}<a id="prev-page" href="/console/events?{{previous}}">← Previous</a>{{/hasPrevious}}
        <span class="page">Page {{page}}</span>
        {{#hasNext}}<a id="next-page" href="/console/events?{{next}}">Next →</a>{{/hasNext}}
        </nav>
        {{/listed}}
        {{> foot}}
        """

    static let queues = """
        {{> head}}
        <h1>Queues</h1>
        {{> status}}
        {{#listed}}
        {{#hasRows}}
        <div class="scroll">
        <table id="queues">
        <thead><tr><th scope="col">Queue</th><th scope="col">Type</th><th scope="col" class="num">Visible</th>
        <th scope="col" class="num">In flight</th><th scope="col" class="num">Delayed</th><th scope="col">Dead-letter queue</th></tr></thead>
        <tbody>
        {{#rows}}
        <tr class="queue{{#failed}} failed{{/failed}}" data-url="{{url}}">
        <td class="col-name">{{name}}</td>
        {{#failed}}<td colspan="5" class="col-problem">{{problem}}</td>{{/failed}}
        {{^failed}}
        <td class="col-kind">{{kind}}</td>
        <td class="col-visible num">{{visible}}</td>
        <td class="col-in-flight num">{{inFlight}}</td>
        <td class="col-delayed num">{{delayed}}</td>
        <td class="col-dlq">{{#hasDLQ}}{{dlq}} <span class="muted">after {{maxReceives}} receives</span>{{/hasDLQ}}</td>
        {{/failed}}
        </tr>
        {{/rows}}
        </tbody>
        </table>
        </div>
        {{/hasRows}}
        {{^hasRows}}<p id="no-queues">No queues in {{caller.region}}.</p>{{/hasRows}}
        {{#hasNext}}<nav class="paging" aria-label="Pages"><a id="next-page" href="/console/queues?{{next}}">Next →</a></nav>{{/hasNext}}
        {{/listed}}
        {{> foot}}
        """

    static let rules = """
        {{> head}}
        <h1>Rules</h1>
        {{> status}}
        {{#listed}}
        {{#buses}}
        <section class="bus" data-bus="{{name}}">
        <h2>Event bus <span class="bus-name">{{name}}</span></h2>
        {{#hasProblem}}<p class="error">{{problem}}</p>{{/hasProblem}}
        {{#hasRules}}
        <div class="scroll">
        <table class="rules">
        <thead><tr><th scope="col">Rule</th><th scope="col">State</th><th scope="col">Pattern or schedule</th>
        <th scope="col">Targets and their deliveries</th></tr></thead>
        <tbody>
        {{#rules}}
        <tr class="rule" data-rule="{{name}}">
        <td class="col-name">{{name}}{{#hasDescription}}<div class="muted">{{description}}</div>{{/hasDescription}}</td>
        <td class="col-state"><span class="state{{#enabled}} enabled{{/enabled}}">{{state}}</span></td>
        <td class="col-pattern"><pre>{{pattern}}</pre></td>
        <td class="col-targets">
        {{#hasProblem}}<p class="error">{{problem}}</p>{{/hasProblem}}
        {{#targets}}
        <div class="target" data-target="{{id}}">
        <div><span class="target-id">{{id}}</span> <span class="target-arn muted">{{arn}}</span></div>
        <div class="counts"><span class="delivered">{{delivered}}</span> delivered · <span class="retried">{{retried}}</span> retried ·
        <span class="dead-lettered">{{deadLettered}}</span> dead-lettered · <span class="dropped">{{dropped}}</span> dropped</div>
        {{#hasLastError}}<div class="last-error">Last error: {{lastError}}</div>{{/hasLastError}}
        </div>
        {{/targets}}
        {{^hasTargets}}<span class="muted">No targets</span>{{/hasTargets}}
        </td>
        </tr>
        {{/rules}}
        </tbody>
        </table>
        </div>
        {{/hasRules}}
        {{^hasRules}}<p class="muted no-rules">No rules on this bus.</p>{{/hasRules}}
        </section>
        {{/buses}}
        <section id="tester">
        <h2>Test a pattern</h2>
        <form id="pattern-test" method="get" action="/console/rules">
        <label for="pattern">Event pattern (JSON)</label>
        <textarea id="pattern" name="pattern" rows="6" spellcheck="false">{{testPattern}}</textarea>
        <label for="event">Event (JSON), or leave empty and give an event ID from history</label>
        <textarea id="event" name="event" rows="8" spellcheck="false">{{testEvent}}</textarea>
        <label for="eventId">Event ID from history</label>
        <input id="eventId" name="eventId" spellcheck="false" value="{{testEventId}}">
        <button id="test-submit" type="submit">Test</button>
        </form>
        {{#tested}}<p id="pattern-result" class="{{resultClass}}" role="status">{{resultText}}</p>{{/tested}}
        </section>
        {{/listed}}
        {{> foot}}
        """

    static let dashboard = """
        {{> head}}
        <h1>Dashboard <span class="muted">the last hour in {{caller.region}}</span></h1>
        {{> status}}
        {{#listed}}
        <p class="totals"><span id="total-calls">{{calls}}</span> calls ·
        <span id="total-errors">{{errors}}</span> errors · <span id="total-denials">{{denials}}</span> of them denials</p>
        <section class="panel" id="calls-chart">
        <h2>Calls per minute by service</h2>
        {{{callsChart}}}
        <ul class="legend">{{#legend}}<li><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="{{color}}"/></svg> {{name}}</li>{{/legend}}</ul>
        </section>
        <section class="panel" id="errors-chart">
        <h2>Errors and denials per minute</h2>
        {{{errorsChart}}}
        <ul class="legend">{{#errorColors}}<li><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="{{color}}"/></svg> {{name}}</li>{{/errorColors}}</ul>
        </section>
        <div class="panels">
        <section class="panel" id="top-names">
        <h2>Top event names</h2>
        {{{namesChart}}}
        <ul class="top">{{#topNames}}<li><a href="/console/events?{{query}}">{{name}}</a> {{count}}</li>{{/topNames}}</ul>
        </section>
        <section class="panel" id="top-users">
        <h2>Top users</h2>
        {{{usersChart}}}
        <ul class="top">{{#topUsers}}<li><a href="/console/events?{{query}}">{{name}}</a> {{count}}</li>{{/topUsers}}</ul>
        </section>
        </div>
        {{/listed}}
        {{> foot}}
        """

    static let trails = """
        {{> head}}
        <h1>Trails</h1>
        {{> status}}
        {{#listed}}
        {{#hasRows}}
        <div class="scroll">
        <table id="trails">
        <thead><tr><th scope="col">Trail</th><th scope="col">Delivers to</th><th scope="col">Logging</th>
        <th scope="col">Last log file</th><th scope="col">Last digest</th><th scope="col">Last error</th><th scope="col">Log files</th></tr></thead>
        <tbody>
        {{#rows}}
        <tr class="trail{{#hasLastError}} failed{{/hasLastError}}" data-trail="{{name}}">
        <td class="col-name">{{name}}{{#multiRegion}} <span class="muted">all regions</span>{{/multiRegion}}</td>
        <td class="col-bucket">s3://{{bucket}}/{{prefix}}</td>
        {{#hasProblem}}<td colspan="4" class="col-problem">{{problem}}</td>{{/hasProblem}}
        {{^hasProblem}}
        <td class="col-logging">{{#logging}}<span class="state enabled">logging</span>{{/logging}}{{^logging}}<span class="state">stopped</span>{{/logging}}</td>
        <td class="col-delivery">{{lastDelivery}}</td>
        <td class="col-digest">{{lastDigest}}</td>
        <td class="col-error">{{lastError}}</td>
        {{/hasProblem}}
        <td class="col-validate">{{#validated}}<a class="validate" href="/console/trails/validate?{{validateQuery}}">Validate</a>{{/validated}}{{^validated}}<span class="muted">no digests</span>{{/validated}}</td>
        </tr>
        {{/rows}}
        </tbody>
        </table>
        </div>
        {{/hasRows}}
        {{^hasRows}}<p id="no-trails">No trails in {{caller.region}}.</p>{{/hasRows}}
        {{/listed}}
        {{> foot}}
        """

    static let event = """
        {{> head}}
        <h1>{{eventName}} <span class="muted">{{eventSource}}</span></h1>
        <dl class="facts">
        <dt>Time</dt><dd>{{eventTime}}</dd>
        <dt>User</dt><dd>{{#hasUser}}<a id="user-events" href="/console/events?{{userQuery}}">{{user}}</a>{{/hasUser}}{{^hasUser}}{{user}}{{/hasUser}}</dd>
        {{#hasError}}<dt>Error</dt><dd class="error">{{errorCode}}</dd>{{/hasError}}
        <dt>Resources</dt><dd>{{#resources}}<a class="resource-events" href="/console/events?{{query}}">{{type}} {{name}}</a> {{/resources}}{{^hasResources}}none{{/hasResources}}</dd>
        </dl>
        <h2>Record</h2>
        <pre id="record">{{record}}</pre>
        {{> foot}}
        """
}
