import ArgumentParser
import TicklineCore
import TicklineStore

#if canImport(Glibc)
import Glibc
#endif

/// `tickline export --table T`: one table of the LMDB store as CSV or JSON lines, read-only
/// (the environments are opened `MDB_RDONLY`; the engine may be running). Rows and columns:
/// `StoreExporter` and the README's "Export and retention".
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a store table (trades, candles, signals, snapshots) as CSV or JSON lines, read-only.",
        discussion: """
            Rows come in key order: candles by symbol, interval and open time; signals by symbol and \
            time; snapshots by account and time; trades by entry time. --from is inclusive and --to \
            exclusive, on the open time (candles), event time (signals), snapshot time or entry time \
            (trades). Decimals are exact at the symbol's scale; times are epoch ms (CSV adds ISO-8601 \
            UTC). The store keeps symbol ids only: --symbols names them, in the order of [venue] \
            symbols in tickline.toml, with their price and quantity decimals. Corrupt records are \
            reported on stderr (table and key) and skipped; the exit status is then 1. A missing \
            store is exit status 2.
            """)

    @Option(help: "trades, candles, signals, snapshots or snapshot_positions.")
    var table: String

    @Option(help: "csv (a header row, then one row per record) or jsonl (one JSON object per line).")
    var format = "csv"

    @Option(help: "First time to include: ISO-8601 UTC (2026-01-02T00:00:00Z, 2026-01-02) or epoch ms.")
    var from: String?

    @Option(help: "First time to exclude (same forms as --from).")
    var to: String?

    @Option(help: "LMDB store directory (the [store] directory).")
    var store = "data"

    @Option(help: "Only this symbol: a name from --symbols, or a numeric symbol id (candles, signals, trades).")
    var symbol: String?

    @Option(help: "Only this account id (trades, snapshots).")
    var account: Int?

    @Option(help: "Write to this file instead of stdout.")
    var output: String?

    @Option(help: """
        Symbol ids in order (id 0, 1, …, as [venue] symbols) with their scales: \
        NAME:PRICE_DECIMALS:QTY_DECIMALS, comma-separated. Ids past the list print an empty name \
        and raw integers.
        """)
    var symbols = "BTCUSDT:2:3,ETHUSDT:2:3"

    func run() throws {
        guard let table = StoreExportTable(rawValue: table) else {
            fail("--table must be one of " + StoreExportTable.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let format = StoreExportFormat(rawValue: format) else { fail("--format must be csv or jsonl") }
        let symbolTable = parseSymbols(symbols)
        var query = StoreExportQuery(table: table, format: format)
        if let from {
            guard let ms = StoreExportTime.parse(from) else { fail("--from \(from): not an ISO-8601 UTC time or epoch ms") }
            query.fromMs = ms
        }
        if let to {
            guard let ms = StoreExportTime.parse(to) else { fail("--to \(to): not an ISO-8601 UTC time or epoch ms") }
            query.toMs = ms
        }
        if let symbol {
            if let id = symbolTable.id(of: symbol) {
                query.symbol = id
            } else if let n = UInt16(symbol) {
                query.symbol = SymbolID(n)
            } else {
                fail("--symbol \(symbol): not in --symbols (\(symbolTable.entries.map(\.name).joined(separator: ",")))")
            }
        }
        if let account {
            guard let n = UInt16(exactly: account) else { fail("--account must be in 0...65535") }
            query.account = AccountID(n)
        }
        if let filter = query.inapplicableFilter { fail("--\(filter) does not apply to --table \(table.rawValue)") }

        let exporter: StoreExporter
        do {
            exporter = try StoreExporter.openReadOnly(directory: store, tables: [table])
        } catch .io(let path, let code) where code == ENOENT {
            if path == store { fail("store directory \(store) does not exist") }
            fail("\(store) is not a Tickline store: \(path) is missing")
        } catch {
            fail("cannot open the store at \(store): \(error)")
        }

        var fd: Int32 = 1
        if let output {
            fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if fd < 0 { fail("\(output): cannot create (errno \(errno))") }
        }
        defer { if fd != 1 { close(fd) } }
        let summary = try exporter.export(query, symbols: symbolTable, onCorrupt: { e in
            writeStderr("tickline: corrupt record skipped: \(e)\n")
        }, emit: { text in
            if let code = writeAll(fd, text) { fail("\(output ?? "stdout"): write failed (errno \(code))") }
        })
        if fd != 1, fsync(fd) != 0 { fail("\(output ?? ""): fsync failed (errno \(errno))") }
        for id in summary.unknownSymbols {
            writeStderr("tickline: note: symbol id \(id.rawValue) is not in --symbols: its rows have no symbol name "
                        + "and raw integer prices and quantities\n")
        }
        if !summary.corrupt.isEmpty {
            writeStderr("tickline: \(summary.corrupt.count) corrupt record(s) skipped, \(summary.rows) row(s) exported\n")
            throw ExitCode(1)
        }
    }

    /// `NAME:PRICE_DECIMALS:QTY_DECIMALS,…` in id order.
    private func parseSymbols(_ list: String) -> SymbolTable {
        var table = SymbolTable()
        for spec in list.split(separator: ",") {
            let parts = spec.split(separator: ":")
            guard parts.count == 3, let p = UInt8(parts[1]), let q = UInt8(parts[2]), p <= 18, q <= 18 else {
                fail("--symbols \(spec): expected NAME:PRICE_DECIMALS:QTY_DECIMALS")
            }
            do {
                try table.intern(.init(name: String(parts[0]), priceScale: DecimalScale(places: p),
                                       quantityScale: DecimalScale(places: q)))
            } catch {
                fail("--symbols \(spec): \(error)")
            }
        }
        return table
    }
}

/// Writes all of `text` to `fd` (retrying `EINTR` and short writes); the errno on failure.
private func writeAll(_ fd: Int32, _ text: String) -> Int32? {
    var text = text
    return text.withUTF8 { bytes -> Int32? in
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += n
        }
        return nil
    }
}

private func writeStderr(_ text: String) {
    _ = writeAll(2, text)
}
