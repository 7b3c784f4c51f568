// SPDX-License-Identifier: GPL-2.0

// uw_go - a Go program whose time is in two frameless leaf functions
// (no frame, no call: the compiler gives them no frame pointer), for
// selftests/vm/62-go.sh.
//
//	uw_go SECONDS PROFILE
//
// main.main calls main.leafA and main.leafB directly for SECONDS of wall
// time while Go's own CPU profiler (runtime/pprof, 100 Hz) writes
// PROFILE; then it reads that profile back and prints, for each of
// main.main, main.leafA and main.leafB, its cumulative share (samples
// whose stack holds it, over all samples):
//
//	pprof samples N
//	pprof cum FUNC SHARE
//
// The profile is gzipped protobuf (github.com/google/pprof's
// profile.proto); the few fields needed are decoded here, stdlib only.
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

var sink uint64

//go:noinline
func leafA(n uint64) uint64 {
	x := n
	for i := uint64(0); i < 20000; i++ {
		x = x*6364136223846793005 + i
	}
	return x
}

//go:noinline
func leafB(n uint64) uint64 {
	x := n
	for i := uint64(0); i < 10000; i++ {
		x ^= x<<13 ^ x>>7 ^ i
	}
	return x
}

// pb is a protobuf message being read.
type pb struct {
	b   []byte
	err error
}

func (p *pb) varint() uint64 {
	var v uint64
	for s := uint(0); s < 64; s += 7 {
		if len(p.b) == 0 {
			p.err = io.ErrUnexpectedEOF
			return 0
		}
		c := p.b[0]
		p.b = p.b[1:]
		v |= uint64(c&0x7f) << s
		if c < 0x80 {
			return v
		}
	}
	p.err = fmt.Errorf("varint too long")
	return 0
}

// field returns the next field's number, wire type, and its varint value
// (wire type 0) or bytes (wire type 2).
func (p *pb) field() (num int, wt int, v uint64, data []byte) {
	key := p.varint()
	num, wt = int(key>>3), int(key&7)
	switch wt {
	case 0:
		v = p.varint()
	case 1:
		if len(p.b) < 8 {
			p.err = io.ErrUnexpectedEOF
			return
		}
		p.b = p.b[8:]
	case 2:
		n := p.varint()
		if n > uint64(len(p.b)) {
			p.err = io.ErrUnexpectedEOF
			return
		}
		data, p.b = p.b[:n], p.b[n:]
	case 5:
		if len(p.b) < 4 {
			p.err = io.ErrUnexpectedEOF
			return
		}
		p.b = p.b[4:]
	default:
		p.err = fmt.Errorf("wire type %d", wt)
	}
	return
}

// uints reads a repeated uint64 field: packed (wt 2) or one value.
func uints(wt int, v uint64, data []byte) []uint64 {
	if wt == 0 {
		return []uint64{v}
	}
	q := pb{b: data}
	var out []uint64
	for len(q.b) > 0 && q.err == nil {
		out = append(out, q.varint())
	}
	return out
}

type sample struct {
	locs  []uint64
	count int64
}

// cumShares decodes a gzipped profile: total samples, and for each
// function name the samples whose stack holds it.
func cumShares(raw []byte) (int64, map[string]int64, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return 0, nil, err
	}
	buf, err := io.ReadAll(zr)
	if err != nil {
		return 0, nil, err
	}
	var samples []sample
	locFuncs := map[uint64][]uint64{}
	funcName := map[uint64]int64{}
	var strs []string
	p := pb{b: buf}
	for len(p.b) > 0 && p.err == nil {
		num, wt, v, data := p.field()
		switch num {
		case 2: // Sample
			var s sample
			q := pb{b: data}
			for len(q.b) > 0 && q.err == nil {
				n, w, x, d := q.field()
				switch n {
				case 1:
					s.locs = append(s.locs, uints(w, x, d)...)
				case 2:
					if vals := uints(w, x, d); len(vals) > 0 && s.count == 0 {
						s.count = int64(vals[0])
					}
				}
			}
			samples = append(samples, s)
		case 4: // Location
			var id uint64
			var fns []uint64
			q := pb{b: data}
			for len(q.b) > 0 && q.err == nil {
				n, _, x, d := q.field()
				switch n {
				case 1:
					id = x
				case 4: // Line
					r := pb{b: d}
					for len(r.b) > 0 && r.err == nil {
						if m, _, y, _ := r.field(); m == 1 {
							fns = append(fns, y)
						}
					}
				}
			}
			locFuncs[id] = fns
		case 5: // Function
			var id uint64
			var name int64
			q := pb{b: data}
			for len(q.b) > 0 && q.err == nil {
				n, _, x, _ := q.field()
				switch n {
				case 1:
					id = x
				case 2:
					name = int64(x)
				}
			}
			funcName[id] = name
		case 6:
			strs = append(strs, string(data))
		}
		_ = wt
		_ = v
	}
	if p.err != nil {
		return 0, nil, p.err
	}
	var total int64
	cum := map[string]int64{}
	for _, s := range samples {
		total += s.count
		seen := map[string]bool{}
		for _, l := range s.locs {
			for _, f := range locFuncs[l] {
				i := funcName[f]
				if i < 0 || i >= int64(len(strs)) || seen[strs[i]] {
					continue
				}
				seen[strs[i]] = true
				cum[strs[i]] += s.count
			}
		}
	}
	return total, cum, nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: uw_go SECONDS PROFILE")
		os.Exit(2)
	}
	secs, err := strconv.ParseFloat(os.Args[1], 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "uw_go:", err)
		os.Exit(2)
	}
	f, err := os.Create(os.Args[2])
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "uw_go:", err)
		os.Exit(1)
	}
	// The clock is read every 64 rounds: time.now calls the vDSO on the
	// g0 stack, where a stack walk (Go's own excepted) loses the
	// goroutine's frames.
	until := time.Now().Add(time.Duration(secs * float64(time.Second)))
	for i := uint64(0); i%64 != 0 || time.Now().Before(until); i++ {
		sink += leafA(i)
		sink += leafB(i)
	}
	pprof.StopCPUProfile()
	f.Close()
	raw, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "uw_go:", err)
		os.Exit(1)
	}
	total, cum, err := cumShares(raw)
	if err != nil {
		fmt.Fprintln(os.Stderr, "uw_go: reading the profile:", err)
		os.Exit(1)
	}
	fmt.Printf("pprof samples %d\n", total)
	for _, fn := range []string{"main.main", "main.leafA", "main.leafB"} {
		share := 0.0
		if total > 0 {
			share = float64(cum[fn]) / float64(total)
		}
		fmt.Printf("pprof cum %s %.4f\n", fn, share)
	}
}
