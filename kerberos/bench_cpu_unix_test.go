//go:build unix

package kerberos

import (
	"syscall"
	"testing"
)

// cpuMeter measures the process's CPU time (user and system, every
// thread, so the garbage collector's too) across a benchmark loop.
type cpuMeter struct {
	b     *testing.B
	start int64
	ok    bool
}

func processCPU() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}

func startCPU(b *testing.B) cpuMeter {
	t, ok := processCPU()
	return cpuMeter{b: b, start: t, ok: ok}
}

// report adds cpu-ns/op; call it after the b.Loop loop.
func (m cpuMeter) report() {
	end, ok := processCPU()
	if m.ok && ok && m.b.N > 0 {
		m.b.ReportMetric(float64(end-m.start)/float64(m.b.N), "cpu-ns/op")
	}
}
