import CNUMA

/// What libnuma says about the host, read once.
public enum NUMATopology {
    /// Number of NUMA nodes (1 when libnuma reports NUMA unavailable).
    public static let nodeCount: Int = {
        guard numa_available() >= 0 else { return 1 }
        return Int(numa_max_node()) + 1
    }()
}
