// A process for the store's crash tests to SIGKILL. It writes batches of `batchSize` keys to
// the `crash` database of the environment at `path`, one write transaction per batch, and
// reports each commit on stdout ("committed <batch>") after it returns. It also holds a reader
// slot (a reset read transaction), so its death leaves a stale reader behind.
//
//   TicklineStoreCrashHelper <path> pause <batches> <batchSize>
//       commits <batches> batches, then writes half of the next one, prints "mid" and waits
//       inside the open transaction to be killed.
//   TicklineStoreCrashHelper <path> run <batches> <batchSize>
//       commits batches in a loop (forever) and prints "ready" after <batches> of them.
//
// Keys are (batch u64 BE, index u32 BE); values are 64 bytes of the batch number.
import Glibc
import TicklineStore

func fail(_ message: String) -> Never {
    var m = message + "\n"
    m.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func say(_ line: String) {
    var l = line + "\n"
    l.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
}

let args = CommandLine.arguments
guard args.count == 5, let batches = Int(args[3]), let batchSize = Int(args[4]) else {
    fail("usage: TicklineStoreCrashHelper <path> pause|run <batches> <batchSize>")
}
let path = args[1]
let mode = args[2]

do {
    let env = try LMDBEnvironment(path: path, options: .init(mapSizeBytes: 64 << 20))
    let db = try env.openDatabase("crash")
    let reader = env.makeReader()
    _ = try reader.read { txn in try txn.count(db) }  // takes a reader slot, kept while reset

    func writeBatch(_ batch: UInt64, count: Int, in txn: borrowing LMDBWriteTransaction) throws {
        var value = [UInt64](repeating: batch, count: 8)
        for i in 0..<count {
            var key = StoreKey()
            key.append(batch)
            key.append(UInt32(i))
            try key.withUnsafeBytes { k in
                try value.withUnsafeMutableBytes { v in try txn.put(db, key: k, value: UnsafeRawBufferPointer(v)) }
            }
        }
    }

    var batch: UInt64 = 0
    while true {
        if mode == "pause" && batch == UInt64(batches) {
            let txn = try env.beginWrite()
            try writeBatch(batch, count: batchSize / 2, in: txn)
            say("mid")
            while true { pause() }  // killed here, inside the transaction
        }
        try env.update { txn in try writeBatch(batch, count: batchSize, in: txn) }
        say("committed \(batch)")
        batch += 1
        if mode == "run" && batch == UInt64(batches) { say("ready") }
    }
} catch {
    fail("helper failed: \(error)")
}
