// Wire-to-parsed latency: a running simulator (`tickline sim`) → the engine's market-data path
// (MarketDataFeed: socket backend, RFC 6455 codec, BinanceStreamParser) over loopback.
//
// The simulator's `POST /sim/pace` publishes aggTrades at a fixed pace, each stamped in its
// aggregate trade id `a` with the CLOCK_MONOTONIC ns at which the simulator rendered it (before
// its own fan-out and NIO write). For each parsed aggTrade this records
//   ingress = MarketEvent.ingressNs − stamp   (the engine had the bytes: LiveClock after the
//                                              receive completion, before the codec)
//   parsed  = LiveClock after the parser returned − stamp
// The feed runs on this thread in a busy spin (no idle strategy): it is a benchmark. The plain C
// client (CWireClient) reads the same stream with blocking recv; scripts/wire-bench.sh runs both
// in the same run and prints them side by side.
//
//   WireLatency HOST PORT BACKENDS MESSAGES [INTERVAL_US] [WARMUP] [DUMP_PREFIX]
//     BACKENDS     uring, poll, or a comma list (run one after the other)
//     MESSAGES     measured messages per backend; WARMUP more are received first and dropped
//     DUMP_PREFIX  append each sample (ns, one per line) to PREFIX.<backend>.<stage>
//
// Output, one line per backend and stage (the same format as CWireClient):
//   wire client=uring stage=ingress n=5000 lost=0 foreign=0 p50_ns=… p90_ns=… p99_ns=… p999_ns=… max_ns=…
import TicklineBinance
import TicklineCore
import TicklineEngine
import TicklineIO

#if canImport(Glibc)
import Glibc
#endif

struct WireError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The feed's sink: samples of one run, preallocated (recording is two stores and a compare, no
/// allocation).
final class Recorder: MarketDataSink {
    let warmup: Int
    let measured: Int
    var ingress: [Int64] = []
    var parsed: [Int64] = []
    /// Paced messages received (warm-up included).
    var seen = 0
    /// aggTrades whose `a` is not a stamp of this run (the market walk's own trades).
    var foreign = 0
    let notBeforeNs: UInt64

    init(warmup: Int, measured: Int, notBeforeNs: UInt64) {
        self.warmup = warmup
        self.measured = measured
        self.notBeforeNs = notBeforeNs
        ingress.reserveCapacity(measured)
        parsed.reserveCapacity(measured)
    }

    var done: Bool { seen >= warmup + measured }

    /// Called by the feed right after the parser returned: "parsed" is read here.
    func marketData(_ message: BinanceStreamMessage) {
        guard case .market(let event) = message, case .trade(let trade) = event.body, trade.isAggregate else { return }
        record(stamp: trade.tradeID, ingressNs: event.ingressNs, parsedNs: LiveClock().nowNs())
    }

    @inline(__always)
    func record(stamp: Int64, ingressNs: UInt64, parsedNs: UInt64) {
        guard stamp > 0, UInt64(stamp) >= notBeforeNs, UInt64(stamp) <= ingressNs else {
            foreign += 1
            return
        }
        seen += 1
        guard seen > warmup, ingress.count < measured else { return }
        ingress.append(Int64(ingressNs) - stamp)
        parsed.append(Int64(parsedNs) - stamp)
    }
}

/// One blocking HTTP/1.1 request with `Connection: close` (set-up only, never while measuring);
/// returns the status code.
func request(_ address: SocketAddress, _ host: String, _ method: String, _ path: String) throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = address.port.bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else { throw WireError("connect: errno \(errno)") }
    let text = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    let sent = text.withCString { send(fd, $0, strlen($0), 0) }
    guard sent == text.utf8.count else { throw WireError("send: errno \(errno)") }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = recv(fd, &chunk, chunk.count, 0)
        if n <= 0 { break }
        response += chunk[0..<n]
    }
    let status = String(decoding: response.prefix(32), as: UTF8.self).split(separator: " ").dropFirst().first
    return status.flatMap { Int($0) } ?? 0
}

/// The number of WebSocket connections the simulator holds (`GET /sim/stats`).
func simConnections(_ address: SocketAddress, _ host: String) throws -> Int {
    let r = try StartupREST.get(RESTEndpoint(address: address, host: host), path: "/sim/stats")
    let text = String(decoding: r.body, as: UTF8.self)
    guard let range = text.range(of: "\"connections\":") else { return -1 }
    return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? -1
}

func percentile(_ sorted: [Int64], _ q: Double) -> Int64 {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((q * Double(sorted.count)).rounded(.up))
    return sorted[min(sorted.count - 1, max(0, rank - 1))]
}

func report(client: String, stage: String, samples: [Int64], lost: Int, foreign: Int, dumpPrefix: String?) {
    let s = samples.sorted()
    print("wire client=\(client) stage=\(stage) n=\(s.count) lost=\(lost) foreign=\(foreign)"
          + " p50_ns=\(percentile(s, 0.5)) p90_ns=\(percentile(s, 0.9)) p99_ns=\(percentile(s, 0.99))"
          + " p999_ns=\(percentile(s, 0.999)) max_ns=\(s.last ?? 0)")
    if let dumpPrefix, let f = fopen("\(dumpPrefix).\(client).\(stage)", "a") {
        for v in samples { fputs("\(v)\n", f) }
        fclose(f)
    }
}

struct Run {
    var address: SocketAddress
    var host: String
    var symbols: BinanceSymbols
    var messages: Int
    var intervalUs: Int
    var warmup: Int
    var dumpPrefix: String?

    func measure<L: SocketEventLoop>(_ loop: L, name: String) throws {
        let clock = LiveClock()
        let recorder = Recorder(warmup: warmup, measured: messages, notBeforeNs: clock.nowNs())
        let endpoint = MarketDataEndpoint(address: address, host: host, path: "/market/stream?streams=btcusdt@aggTrade")
        let feed = MarketDataFeed(endpoints: [endpoint], parser: BinanceStreamParser(symbols: symbols), loop: loop,
                                  sink: recorder)
        func spin(untilNs deadline: UInt64, _ done: () -> Bool) throws {
            while !done() {
                let now = clock.nowNs()
                if now >= deadline { return }
                _ = try feed.doWork(nowNs: now)
            }
        }
        try spin(untilNs: clock.nowNs() + 5_000_000_000) { feed.connections[0].state == .open }
        guard feed.connections[0].state == .open else {
            throw WireError("\(name): no WebSocket after 5 s (\(feed.connections[0].state))")
        }
        // The simulator registers the connection with its hub just after the 101: ask until it
        // has (409 = no subscriber yet), spinning the feed in between.
        let total = warmup + messages
        var status = 0
        for _ in 0..<250 {
            status = try request(address, host, "POST", "/sim/pace?stream=btcusdt@aggTrade&count=\(total)&interval_us=\(intervalUs)")
            if status != 409 { break }
            try spin(untilNs: clock.nowNs() + 20_000_000) { false }
        }
        guard status == 200 else { throw WireError("\(name): POST /sim/pace answered \(status)") }
        let expectedNs = UInt64(total) * UInt64(intervalUs) * 1000
        try spin(untilNs: clock.nowNs() + expectedNs * 2 + 3_000_000_000) { recorder.done }
        let conn = feed.connections[0]
        let lost = total - recorder.seen
        report(client: name, stage: "ingress", samples: recorder.ingress, lost: lost, foreign: recorder.foreign,
               dumpPrefix: dumpPrefix)
        report(client: name, stage: "parsed", samples: recorder.parsed, lost: lost, foreign: recorder.foreign,
               dumpPrefix: dumpPrefix)
        if conn.parseErrors > 0 || feed.reconnects > 0 {
            print("wire client=\(name) parse_errors=\(conn.parseErrors) reconnects=\(feed.reconnects)")
        }
        // Close, let the loop submit the close, and wait until the simulator has dropped the
        // connection, so the next run's paced messages are written to one connection only.
        conn.shutdown()
        try spin(untilNs: clock.nowNs() + 10_000_000) { false }
        for _ in 0..<100 {
            if try simConnections(address, host) == 0 { break }
            usleep(10_000)
        }
    }
}

let args = CommandLine.arguments
guard args.count >= 5, let port = UInt16(args[2]), let messages = Int(args[4]), messages > 0 else {
    print("usage: WireLatency HOST PORT uring|poll|uring,poll MESSAGES [INTERVAL_US] [WARMUP] [DUMP_PREFIX]")
    exit(2)
}
do {
    let host = args[1]
    guard host.hasPrefix("127.") else { throw WireError("loopback only (127.x.x.x)") }
    guard let address = try SocketAddress.resolve(host: host, port: port).first(where: { $0.family == AF_INET }) else {
        throw WireError("cannot resolve \(host)")
    }
    let authority = "\(host):\(port)"
    let info = try StartupREST.get(RESTEndpoint(address: address, host: authority), path: "/fapi/v1/exchangeInfo")
    let listed = try info.body.withUnsafeBytes { try BinanceREST.exchangeInfo($0) }
    guard let btc = listed.first(where: { $0.symbol == "BTCUSDT" }) else {
        throw WireError("BTCUSDT is not listed")
    }
    var table = SymbolTable()
    try table.intern(.init(name: "BTCUSDT", priceScale: btc.priceScale, quantityScale: btc.quantityScale))
    let run = Run(address: address, host: authority, symbols: BinanceSymbols(table), messages: messages,
                  intervalUs: args.count > 5 ? Int(args[5]) ?? 200 : 200,
                  warmup: args.count > 6 ? Int(args[6]) ?? 200 : 200,
                  dumpPrefix: args.count > 7 ? args[7] : nil)
    for backend in args[3].split(separator: ",") {
        switch backend {
        case "uring": try run.measure(try URingLoop(), name: "uring")
        case "poll": try run.measure(PollingSocketLoop(), name: "poll")
        default: throw WireError("backend must be uring or poll, not \(backend)")
        }
    }
} catch {
    print("WireLatency: \(error)")
    exit(1)
}
