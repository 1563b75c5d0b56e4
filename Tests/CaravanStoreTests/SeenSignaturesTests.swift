import CaravanStore
import Foundation
import Testing

@Suite struct SeenSignaturesTests {
    @Test func concurrentClaimsOfOneSignatureShareCommitsAndExactlyOneWins() async throws {
        try await TestDatabase.withStore { client, schema in
            let signatures = SeenSignatures(client: client, schema: schema)
            let until = Date().addingTimeInterval(300)
            // 20 requests at once: 10 carry the same signature, 10 each their own.
            let results = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                for i in 0..<20 {
                    let signature = i < 10 ? "same" : "own-\(i)"
                    group.addTask {
                        (
                            signature,
                            try await signatures.claim(
                                SignatureClaim(policy: "hooks", signature: signature, until: until))
                        )
                    }
                }
                return try await group.reduce(into: [(String, Bool)]()) { $0.append($1) }
            }
            #expect(results.filter { $0.0 == "same" && $0.1 }.count == 1)
            #expect(results.filter { $0.0 != "same" }.allSatisfy { $0.1 })
            // Another policy's identical signature is its own.
            #expect(
                try await signatures.claim(
                    SignatureClaim(policy: "other", signature: "same", until: until)))
            let again = try await signatures.claim(
                SignatureClaim(policy: "hooks", signature: "same", until: until))
            #expect(!again)
        }
    }

    @Test func aSignatureWhoseWindowEndedCanBeClaimedAgain() async throws {
        try await TestDatabase.withStore { client, schema in
            let signatures = SeenSignatures(client: client, schema: schema)
            let past = Date().addingTimeInterval(-1)
            #expect(
                try await signatures.claim(
                    SignatureClaim(policy: "hooks", signature: "s", until: past)))
            #expect(
                try await signatures.claim(
                    SignatureClaim(
                        policy: "hooks", signature: "s", until: Date().addingTimeInterval(300))))
            let again = try await signatures.claim(
                SignatureClaim(
                    policy: "hooks", signature: "s", until: Date().addingTimeInterval(300)))
            #expect(!again)
        }
    }
}
