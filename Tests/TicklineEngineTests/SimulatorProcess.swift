import Foundation
import TicklineTestSupport

// `SimulatorProcess` lives in TicklineTestSupport (shared with TicklineExecutionTests); these
// names keep the engine tests' spelling without an import in every file.
typealias SimulatorProcess = TicklineTestSupport.SimulatorProcess
let ticklineBinary: URL = TicklineTestSupport.ticklineBinary
