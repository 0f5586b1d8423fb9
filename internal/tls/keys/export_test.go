package keys

// SetSequenceForTest moves the sequence number so tests can reach its limit
// without protecting 2^64 records, and benchmarks can reopen one record.
func (p *RecordProtection) SetSequenceForTest(seq uint64) { p.seq = seq }
