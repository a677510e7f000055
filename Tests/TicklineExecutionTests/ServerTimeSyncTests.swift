import Testing
@testable import TicklineExecution

struct ServerTimeSyncTests {
    @Test func offsetIsMeasuredAgainstTheMidpoint() {
        var sync = ServerTimeSync()
        #expect(!sync.isSynced && sync.venueTimeMs(localMs: 1000) == 1000)
        // Sent at 1 000, answered at 1 040: the server read its clock around 1 020 of ours.
        let used = sync.record(serverTimeMs: 6_020, sentLocalMs: 1_000, receivedLocalMs: 1_040)
        #expect(used)
        #expect(sync.offsetMs == 5_000 && sync.roundTripMs == 40 && sync.isSynced)
        #expect(sync.venueTimeMs(localMs: 2_000) == 7_000)
    }

    @Test func aStalledSampleDoesNotReplaceAGoodOne() {
        var sync = ServerTimeSync()
        sync.record(serverTimeMs: 10_005, sentLocalMs: 0, receivedLocalMs: 10)
        let used = sync.record(serverTimeMs: 99_999, sentLocalMs: 1_000, receivedLocalMs: 1_900)
        #expect(!used, "900 ms round trip vs 10")
        #expect(sync.offsetMs == 10_000)
        // A minute later any sample is taken (drift matters more than jitter by then).
        let usedLater = sync.record(serverTimeMs: 80_450, sentLocalMs: 70_000, receivedLocalMs: 70_900)
        #expect(usedLater)
        #expect(sync.offsetMs == 10_000)
    }

    @Test func invalidationAcceptsTheNextSampleWhateverItsRoundTrip() {
        var sync = ServerTimeSync()
        sync.record(serverTimeMs: 1_005, sentLocalMs: 0, receivedLocalMs: 10)
        sync.invalidate()
        #expect(!sync.isSynced && sync.invalidations == 1)
        let used = sync.record(serverTimeMs: 20_000, sentLocalMs: 1_000, receivedLocalMs: 1_400)
        #expect(used)
        #expect(sync.offsetMs == 18_800 && sync.samples == 2)
    }
}
