import Postgres
import Testing

@Suite struct ConnectionRedactionTests {
    @Test func urlPasswordIsHidden() {
        #expect(Connection.redacted("postgres://alice:s3cret@db:5432/shop") == "postgres://alice:***@db:5432/shop")
        #expect(Connection.redacted("host=db password=s3cret user=x") == "host=db password=*** user=x")
        #expect(!Connection.redacted("postgresql://u:p%40ss@h/d").contains("p%40ss"))
        #expect(Connection.redacted("postgresql://u@h/d?password=s3cret&sslmode=disable") == "postgresql://u@h/d?password=***&sslmode=disable")
        #expect(!Connection.redacted("host=db password='s3 cret' user=x").contains("cret"))
    }

    /// libpq's own messages quote the URL or the token it could not read: they must not carry the password.
    @Test(arguments: [
        "postgresql://u:secretpw@[::1:1/x", "postgresql://u:secret%zzpw@127.0.0.1:1/x", "postgresql://u@127.0.0.1:1/x?password=secretpw",
        "postgresql://u:secret%41pw@127.0.0.1:1/x?bogus=1", "host=127.0.0.1 port=1 password=secretpw bogus=1"
    ])
    func aFailedConnectionNeverPrintsThePassword(url: String) {
        do {
            _ = try Connection(url)
            Issue.record("connected to \(url)")
        } catch {
            #expect(!"\(error)".contains("secret"), "\(error)")
            #expect(!"\(error)".contains("cretpw"), "\(error)")
        }
    }
}
