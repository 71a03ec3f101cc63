import Testing
import RecurServer

@Suite struct ServerConfigurationTests {
    @Test func bindsToLoopbackByDefault() {
        #expect(ServerConfiguration().host == "127.0.0.1")
    }
}
