import Benchmark
import Policies

/// One authorization decision with compiled policies (what a request costs once the per-principal cache holds
/// them): a user with 10 policies of 10 statements whose allowing statement is the last, against the
/// administrator's one `*`/`*` statement. One scaled iteration is one decision, so wall clock reads as ns per
/// decision.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )
    let principal = PolicyPrincipal(kind: .user, arn: "arn:aws:iam::000000000000:user/bench", accountId: "000000000000")
    var context = RequestContext()
    context.set("aws:RequestedRegion", "us-east-1")
    context.set("aws:SourceIp", "127.0.0.1")
    context.set("aws:username", "bench")
    let request = AuthorizationRequest(principal: principal, action: "sqs:ListQueues", resource: "*", context: context)

    func document(_ index: Int) -> String {
        var statements: [String] = []
        for s in 0..<10 {
            if index == 9, s == 9 {
                statements.append(#"{"Effect":"Allow","Action":"sqs:ListQueues","Resource":"*"}"#)
            } else {
                statements.append(#"{"Effect":"Allow","Action":["s3:GetObject","sns:Publish","events:PutEvents"],"Resource":"arn:aws:s3:::bucket-\#(index)-\#(s)/*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-\#(s % 3 + 1)"}}}"#)
            }
        }
        return #"{"Version":"2012-10-17","Statement":[\#(statements.joined(separator: ","))]}"#
    }
    let user = (0..<10).map { i in
        SourcedPolicy(id: "bench-\(i)", type: .userManaged, document: try! PolicyDocument(json: document(i), kind: .identity))
    }
    let admin = [SourcedPolicy(id: "AdministratorAccess", type: .awsManaged, document: try! PolicyDocument(
        json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, kind: .identity))]

    for (name, policies) in [("administrator (1 statement)", admin), ("user (10 policies x 10 statements)", user)] {
        Benchmark("decision, \(name)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(PolicyEvaluator.evaluate(request, identity: policies).isAllowed)
            }
        }
    }
}
