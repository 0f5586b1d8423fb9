// Command ratios reads `go test -bench` output from the bench package on
// standard input and prints a Markdown table comparing this module's Conn
// with crypto/tls: the median of each metric over the runs, and the ratio
// ours/crypto/tls (below 1 is better for time and memory, above 1 for
// throughput).
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// line matches "BenchmarkName/.../stack-N   iterations   values units...".
var line = regexp.MustCompile(`^(Benchmark\S+)/(schannel|cryptotls)(-\d+)?\s+\d+\s+(.*)$`)

// preferred is the metric shown for a benchmark, first one present wins.
var preferred = []string{"MB/s", "B/pair", "ns/op"}

func main() {
	// samples[benchmark][stack][unit] = values
	samples := map[string]map[string]map[string][]float64{}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		m := line.FindStringSubmatch(in.Text())
		if m == nil {
			continue
		}
		name, stack, fields := strings.TrimPrefix(m[1], "Benchmark"), m[2], strings.Fields(m[4])
		if samples[name] == nil {
			samples[name] = map[string]map[string][]float64{}
		}
		if samples[name][stack] == nil {
			samples[name][stack] = map[string][]float64{}
		}
		for i := 0; i+1 < len(fields); i += 2 {
			if v, err := strconv.ParseFloat(fields[i], 64); err == nil {
				samples[name][stack][fields[i+1]] = append(samples[name][stack][fields[i+1]], v)
			}
		}
	}
	names := make([]string, 0, len(samples))
	for name := range samples {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Println("| benchmark | metric | schannel | crypto/tls | ours / crypto/tls | allocs/op (ours, crypto/tls) |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, name := range names {
		ours, theirs := samples[name]["schannel"], samples[name]["cryptotls"]
		unit := ""
		for _, u := range preferred {
			if len(ours[u]) > 0 {
				unit = u
				break
			}
		}
		if unit == "" {
			continue
		}
		ratio := "n/a"
		theirValue := "n/a"
		if len(theirs[unit]) > 0 {
			theirValue = format(median(theirs[unit]))
			ratio = fmt.Sprintf("%.2f", median(ours[unit])/median(theirs[unit]))
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s, %s |\n", name, unit, format(median(ours[unit])), theirValue, ratio,
			format(median(ours["allocs/op"])), format(median(theirs["allocs/op"])))
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func format(v float64) string {
	if v >= 100 || v == float64(int64(v)) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
