import Crypto
import Foundation
import HummingbirdBcrypt
import Logging
import Synchronization

/// `type=basic`: HTTP Basic authentication against a users file of bcrypt hashes
/// (`usersFile`, as `htpasswd -B` writes it), re-read when it changes.
///
/// bcrypt is slow on purpose (tens of milliseconds a check), so each check runs on threads
/// of its own, as many at once as ``PasswordCheckGate`` lets (beyond, 503), and a name and
/// password that passed are remembered for a few minutes —
/// keyed by an HMAC under a key that lives only in this process, so nothing a client can
/// compute or this memory reveals is the password. An unknown name costs a bcrypt too,
/// so the time does not tell which names exist.
final class BasicCheck: Sendable {
    let file: String
    let realm: String
    private let logger: Logger
    private struct Loaded {
        var users: [String: String]
        var modified: Date?
        var checked: ContinuousClock.Instant
    }
    private let loaded: Mutex<Loaded>
    private let passed = Mutex<[Data: ContinuousClock.Instant]>([:])
    private let cacheKey = SymmetricKey(size: .bits256)
    private let gate: PasswordCheckGate
    /// How long a name and password that passed are taken without bcrypt.
    static let remembered: Duration = .seconds(300)
    static let maxRemembered = 10_000
    /// Compared against when the name is unknown (a hash of a random password).
    private static let decoy = Bcrypt.hash(UUID().uuidString, cost: 10)

    init(
        file: String, realm: String, logger: Logger, gate: PasswordCheckGate = .shared
    ) throws(SecurityError) {
        self.file = file
        self.realm = realm
        self.logger = logger
        self.gate = gate
        let (users, modified) = try Self.read(file)
        loaded = Mutex(Loaded(users: users, modified: modified, checked: .now))
    }

    static func read(_ file: String) throws(SecurityError) -> ([String: String], Date?) {
        guard let data = FileManager.default.contents(atPath: file),
            let text = String(data: data, encoding: .utf8)
        else {
            throw SecurityError(
                "cannot read the users file '\(file)'",
                hint: "create it with htpasswd -B -c \(file) NAME, readable by caravan")
        }
        do {
            let users = try Htpasswd(text).users
            guard !users.isEmpty else {
                throw SecurityError(
                    "the users file '\(file)' has no users",
                    hint: "add one with htpasswd -B \(file) NAME")
            }
            let modified =
                (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate]
                as? Date
            return (users, modified)
        } catch let problem as Htpasswd.Problem {
            throw SecurityError(
                "\(file): \(problem)", hint: "each line is name:hash, from htpasswd -B")
        } catch let error as SecurityError {
            throw error
        } catch {
            throw SecurityError("\(file): \(error)", hint: "")
        }
    }

    /// The users, re-read when the file changed (looked at once a second at most); a file
    /// that became unreadable or invalid keeps the last good users, with a warning.
    private func users() -> [String: String] {
        let now = ContinuousClock.now
        let (current, due, modified) = loaded.withLock { l in
            let due = now - l.checked >= .seconds(1)
            if due { l.checked = now }
            return (l.users, due, l.modified)
        }
        guard due else { return current }
        let stamp =
            (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date
        guard stamp != modified else { return current }
        do {
            let (users, stamp) = try Self.read(file)
            loaded.withLock {
                $0.users = users
                $0.modified = stamp
            }
            passed.withLock { $0.removeAll() }
            logger.info("re-read the users file", metadata: ["file": "\(file)"])
            return users
        } catch {
            logger.warning(
                "the users file changed and cannot be used; keeping the users read before",
                metadata: ["file": "\(file)", "error": "\(error.description)"])
            return current
        }
    }

    var challenge: String { #"Basic realm="\#(realm)", charset="UTF-8""# }

    func check(_ request: AuthRequest) async -> Admission {
        guard let header = request.header("Authorization"),
            header.count > 6, header.prefix(6).lowercased() == "basic ",
            let decoded = Data(base64Encoded: String(header.dropFirst(6))),
            let pair = String(data: decoded, encoding: .utf8),
            let colon = pair.firstIndex(of: ":")
        else {
            return .refused(
                .unauthorized(
                    challenge, "this endpoint needs a user name and password",
                    hint: "send Authorization: Basic base64(name:password)"))
        }
        let name = String(pair[..<colon])
        let password = String(pair[pair.index(after: colon)...])
        let users = users()
        let hash = users[name]
        let key = Data(
            HMAC<SHA256>.authenticationCode(
                for: Array("\(name)\u{0}\(password)\u{0}\(hash ?? "")".utf8), using: cacheKey))
        let now = ContinuousClock.now
        if hash != nil, let since = passed.withLock({ $0[key] }), now - since < Self.remembered {
            return .admitted(principal: name)
        }
        let target = hash ?? Self.decoy
        // hummingbird-auth's bcrypt compares the two hashes with memcmp, not in constant
        // time; the bcrypt before it takes milliseconds and the salt is unknown to the
        // client, so what that comparison's timing could tell is lost in the noise.
        guard let valid = await gate.run({ Bcrypt.verify(password, hash: target) }) else {
            return .refused(
                AuthRefusal(
                    status: .serviceUnavailable, challenge: nil,
                    error: "too many password checks are waiting", hint: "retry later",
                    retryAfter: 1))
        }
        guard valid, hash != nil else {
            return .refused(
                .unauthorized(
                    challenge, "the user name or password is not valid",
                    hint: "check them with the operator of this service"))
        }
        passed.withLock { cache in
            if cache.count >= Self.maxRemembered {
                cache = cache.filter { now - $0.value < Self.remembered }
                if cache.count >= Self.maxRemembered { cache.removeAll() }
            }
            cache[key] = now
        }
        return .admitted(principal: name)
    }
}
