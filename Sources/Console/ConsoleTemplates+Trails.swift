/// The trails pages: status, and validation.
extension ConsoleTemplates {
    static let validate = """
        {{> head}}
        <h1>Validate {{trail}}</h1>
        <form id="validate" class="filters" method="get" action="/console/trails/validate">
        <input type="hidden" name="trail" value="{{trail}}">
        <div><label for="StartTime">From (UTC, ISO 8601)</label><input id="StartTime" name="StartTime" value="{{start}}" spellcheck="false"></div>
        <div><label for="EndTime">To (UTC, ISO 8601)</label><input id="EndTime" name="EndTime" value="{{end}}" spellcheck="false"></div>
        <div class="actions"><button id="validate-submit" type="submit">Validate</button>
        <a href="/console/trails">All trails</a></div>
        </form>
        {{> status}}
        {{#report}}
        <section class="panel" id="validation">
        <h2 id="verdict" class="{{#valid}}ok{{/valid}}{{^valid}}error-text{{/valid}}">{{#valid}}Valid{{/valid}}{{^valid}}Not valid{{/valid}}</h2>
        <p>Results requested for {{start}} to {{end}}.{{#found}} Results found for {{found}}:{{/found}}{{^found}} No digest files found in that window.{{/found}}</p>
        <ul class="totals">
        <li id="digest-totals">{{digests}}</li>
        <li id="log-totals">{{logFiles}}</li>
        {{^complete}}<li id="skipped">{{skipped}} log files not checked: the run stops at 50,000; validate a shorter window.</li>{{/complete}}
        </ul>
        {{#gaps}}<p class="muted gap">{{.}}</p>{{/gaps}}
        {{#hasProblems}}
        <h3>Problems</h3>
        <ul id="problems">{{#problems}}<li class="finding failed"><b>{{kind}}</b> <code>{{location}}</code> <span class="error-text">{{outcome}}</span></li>{{/problems}}</ul>
        {{/hasProblems}}
        {{#hasChecked}}
        <details><summary>Every file checked</summary>
        <ul id="checked">{{#checked}}<li class="finding{{#failed}} failed{{/failed}}"><b>{{kind}}</b> <code>{{location}}</code> {{outcome}}</li>{{/checked}}</ul>
        </details>
        {{/hasChecked}}
        </section>
        {{/report}}
        {{> foot}}
        """
}
