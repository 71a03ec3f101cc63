import Postgres
import Testing

@Suite struct ConnectionRedactionTests {
    @Test func urlPasswordIsHidden() {
        #expect(Connection.redacted("postgres://alice:s3cret@db:5432/shop") == "postgres://alice:***@db:5432/shop")
        #expect(Connection.redacted("host=db password=s3cret user=x") == "host=db password=*** user=x")
        #expect(!Connection.redacted("postgresql://u:p%40ss@h/d").contains("p%40ss"))
    }
}
