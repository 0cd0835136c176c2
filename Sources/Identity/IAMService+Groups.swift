import CairnCore
import Foundation
import Storage
import Wire

/// Groups and their members.
extension IAMService {
    static func groupShape(_ g: IAMGroupRecord) -> JSONValue {
        .object([("Path", .string(g.path)), ("GroupName", .string(g.groupName)), ("GroupId", .string(g.groupId)),
                 ("Arn", .string(g.arn)), ("CreateDate", .timestamp(g.createdAt))])
    }

    static func groupResource(_ name: String) -> [CloudTrailRecord.Resource] {
        [.init(type: "AWS::IAM::Group", name: name)]
    }

    static func noSuchGroup(_ name: String) -> AWSError {
        AWSError(code: "NoSuchEntity", status: 404, message: "The group with name \(name) cannot be found.")
    }

    func createGroup(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let name = try form.required("GroupName")
        try IAMNames.validateName(name, member: "groupName", max: 128)
        let path = form["Path"] ?? "/"
        try IAMNames.validatePath(path)
        let group = IAMGroupRecord(accountId: ctx.accountId, groupName: name, groupId: Identifiers.awsId(prefix: "AGPA"),
                                   path: path, createdAt: clock.now())
        do {
            try await policies.createGroup(group)
        } catch let e as StoreError where e.isDuplicate {
            throw OperationFailure(AWSError(code: "EntityAlreadyExists", status: 409, message: "Group with name \(name) already exists."),
                                   resources: Self.groupResource(name))
        }
        let shape = Self.groupShape(group)
        return OperationResult(output: ["Group": shape],
                               audit: AuditDetails(responseElements: ["group": shape.lowerCamelKeys], resources: Self.groupResource(name)))
    }

    func getGroup(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let name = try form.required("GroupName")
        guard let group = try await policies.group(accountId: ctx.accountId, groupName: name) else {
            throw OperationFailure(Self.noSuchGroup(name), resources: Self.groupResource(name))
        }
        let members = try await policies.groupMembers(accountId: ctx.accountId, groupName: name)
        let (page, paging) = try Self.page(members, form, key: \.userName)
        return OperationResult(
            output: .object([("Group", Self.groupShape(group)), ("Users", .array(page.map { Self.userShape($0) }))] + paging),
            audit: AuditDetails(resources: Self.groupResource(group.groupName)))
    }

    func listGroups(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let limit = try form.int("MaxItems", in: 1...1000) ?? 100
        let prefix = form["PathPrefix"] ?? "/"
        let page = try await policies.groups(accountId: ctx.accountId, pathPrefix: prefix, after: try Self.marker(form), limit: limit + 1)
        let groups = page.prefix(limit)
        var output: [(String, JSONValue)] = [("Groups", .array(groups.map(Self.groupShape))), ("IsTruncated", .bool(page.count > limit))]
        if page.count > limit, let last = groups.last { output.append(("Marker", .string(Self.marker(after: last.groupName)))) }
        return OperationResult(output: .object(output))
    }

    func deleteGroup(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let name = try form.required("GroupName")
        do {
            try await policies.deleteGroup(accountId: ctx.accountId, groupName: name)
        } catch {
            throw Self.storeFailure(error, resources: Self.groupResource(name))
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: Self.groupResource(name)))
    }

    func changeMembership(_ form: QueryForm, _ ctx: CallContext, add: Bool) async throws -> OperationResult {
        let group = try form.required("GroupName")
        let user = try form.required("UserName")
        let resources = Self.groupResource(group) + Self.userResource(user)
        do {
            if add {
                try await policies.addUserToGroup(accountId: ctx.accountId, groupName: group, userName: user)
            } else {
                try await policies.removeUserFromGroup(accountId: ctx.accountId, groupName: group, userName: user)
            }
        } catch {
            throw Self.storeFailure(error, resources: resources)
        }
        return OperationResult(output: .object([]), audit: AuditDetails(resources: resources))
    }

    func listGroupsForUser(_ form: QueryForm, _ ctx: CallContext) async throws -> OperationResult {
        let user = try form.required("UserName")
        let groups: [IAMGroupRecord]
        do {
            groups = try await policies.groupsForUser(accountId: ctx.accountId, userName: user)
        } catch {
            throw Self.storeFailure(error, resources: Self.userResource(user))
        }
        let (page, paging) = try Self.page(groups, form, key: \.groupName)
        return OperationResult(output: .object([("Groups", .array(page.map(Self.groupShape)))] + paging),
                               audit: AuditDetails(resources: Self.userResource(user)))
    }
}
