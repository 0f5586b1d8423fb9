// Package bench holds the benchmarks that compare this module's Conn with
// crypto/tls in the same run: bulk throughput, small round trips, handshake
// rates, allocations in steady state and memory per idle connection. Run
// them with scripts/bench, which prints ours/crypto/tls ratios.
package bench
