import CaravanStore
import Foundation
import Hummingbird

/// Who is calling the management listener, once their token checked out.
struct Caller: Sendable {
    let token: ApiToken
    let via: Operator.Channel

    var actor: Operator { Operator(token.name, via: via) }
}

/// Checks bearer tokens against the store and roles against what a request needs: 401
/// without a valid token (with `WWW-Authenticate`), 403 with a token whose role is too
/// low. Nothing of the token is logged or answered.
struct Access: Sendable {
    let tokens: ApiTokens

    func caller(_ request: Request, needs role: Role) async throws(Problem) -> Caller {
        guard let header = request.headers[.authorization],
            header.count > 7, header.prefix(7).lowercased() == "bearer "
        else {
            throw Self.unauthorized("this needs a token: send Authorization: Bearer <token>")
        }
        let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        let token: ApiToken?
        do { token = try await tokens.authenticate(secret: secret) } catch {
            throw Problem(error)
        }
        guard let token else {
            throw Self.unauthorized("the token is not valid (unknown or revoked)")
        }
        guard token.role >= role else {
            throw Problem(
                .forbidden,
                "token '\(token.name)' is a \(token.role.rawValue); this needs \(role.rawValue)",
                hint: "ask an admin for a token with the \(role.rawValue) role")
        }
        return Caller(token: token, via: .api)
    }

    static func unauthorized(_ detail: String) -> Problem {
        var problem = Problem(
            .unauthorized, detail,
            hint:
                "create a token with `caravan tokens create --name NAME --role viewer|operator|admin`"
        )
        problem.headers = [(.wwwAuthenticate, #"Bearer realm="caravan""#)]
        return problem
    }
}
