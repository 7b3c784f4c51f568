// Empty: lets main.go declare the runtime functions it links to by
// //go:linkname without bodies (the compiler requires a body otherwise).
