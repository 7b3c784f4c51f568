// SPDX-License-Identifier: GPL-2.0

// gopcsp_oracle prints, for every byte of its own .text that lies in a
// function, the SP delta Go's runtime itself computes there: the oracle
// of gopclntab_test, which parses the same binary's .gopclntab with
// module/gopclntab.c and compares every PC.
//
// Output, one line each, hex addresses:
//
//	F <entry> <name>	a function starts (every PC until the next F
//				line is in it)
//	<pc> <spdelta> <start>	runtime.funcspdelta at pc, and the first PC
//				of the pcsp row holding that value
//	<pc> -			pc is in the function's range but its pcsp
//				table does not cover it (the alignment
//				padding after its code)
//	E <pcs> <functions>	the end, with the counts
//
// It calls the runtime's unexported findfunc, pcvalue and funcspdelta
// through //go:linkname, with their Go 1.19 signatures
// (src/runtime/symtab.go): the runtime's own reading is the reference,
// not a second parser. pcvalue, not strict, tells covered PCs from
// padding (funcspdelta throws on padding) and gives the row's start;
// funcspdelta gives the value, checked equal to pcvalue's.
package main

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"strconv"
	"unsafe"
)

// funcInfo is runtime.funcInfo: {*_func, *moduledata}.
type funcInfo struct {
	fn    unsafe.Pointer
	datap unsafe.Pointer
}

//go:linkname findfunc runtime.findfunc
func findfunc(pc uintptr) funcInfo

// cache is a *runtime.pcvalueCache; nil is allowed.
//
//go:linkname funcspdelta runtime.funcspdelta
func funcspdelta(f funcInfo, targetpc uintptr, cache unsafe.Pointer) int32

//go:linkname pcvalue runtime.pcvalue
func pcvalue(f funcInfo, off uint32, targetpc uintptr, cache unsafe.Pointer, strict bool) (int32, uintptr)

//go:linkname funcname runtime.funcname
func funcname(f funcInfo) string

func main() {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gopcsp_oracle:", err)
		os.Exit(1)
	}
	ef, err := elf.Open(exe)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gopcsp_oracle:", err)
		os.Exit(1)
	}
	text := ef.Section(".text")
	if text == nil {
		fmt.Fprintln(os.Stderr, "gopcsp_oracle: no .text in", exe)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<16)
	var cur unsafe.Pointer
	var line []byte
	pcs, funcs := 0, 0
	for pc := uintptr(text.Addr); pc < uintptr(text.Addr+text.Size); pc++ {
		f := findfunc(pc)
		if f.fn == nil {
			continue
		}
		if f.fn != cur {
			cur = f.fn
			funcs++
			fmt.Fprintf(w, "F %x %s\n", pc, funcname(f))
		}
		line = strconv.AppendUint(line[:0], uint64(pc), 16)
		// _func.pcsp: the fifth u32 (runtime2.go).
		pcsp := *(*uint32)(unsafe.Add(f.fn, 16))
		val, start := pcvalue(f, pcsp, pc, nil, false)
		if start == 0 {
			line = append(line, " -\n"...)
		} else {
			sp := funcspdelta(f, pc, nil)
			if sp != val {
				fmt.Fprintf(os.Stderr, "gopcsp_oracle: %x: funcspdelta %d, pcvalue %d\n", pc, sp, val)
				os.Exit(1)
			}
			line = append(line, ' ')
			line = strconv.AppendInt(line, int64(sp), 10)
			line = append(line, ' ')
			line = strconv.AppendUint(line, uint64(start), 16)
			line = append(line, '\n')
		}
		w.Write(line)
		pcs++
	}
	fmt.Fprintf(w, "E %d %d\n", pcs, funcs)
	if err := w.Flush(); err != nil {
		os.Exit(1)
	}
}
