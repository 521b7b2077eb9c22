// gohelper — a Go program as a function ships one (tests/integration/test_supervisor.py).
// Statically linked, no libc (CGO_ENABLED=0): every system call is its own, made from whichever
// thread runs the goroutine, and nothing is preloaded into it. One line per operation:
// "OP TARGET ok|refused DETAIL".
//
//	gohelper read PATH...         read each file, from a goroutine each, at the same time; then
//	                              "pid - ok PID", this process's id
//	gohelper exec PATH            run PATH
//	gohelper listen ADDR          listen on a TCP address
//	gohelper dial NET ADDR        connect (tcp), or connect and send a datagram (udp)
package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
)

func report(op, target string, err error, detail string) {
	if err != nil {
		fmt.Printf("%s %s refused %v\n", op, target, err)
	} else {
		fmt.Printf("%s %s ok %s\n", op, target, detail)
	}
}

func main() {
	args := os.Args[1:]
	switch args[0] {
	case "read":
		var wg sync.WaitGroup
		lines := make([]string, len(args)-1)
		for i, p := range args[1:] {
			wg.Add(1)
			go func(i int, p string) {
				defer wg.Done()
				b, err := os.ReadFile(p)
				if err != nil {
					lines[i] = fmt.Sprintf("read %s refused %v", p, err)
				} else {
					lines[i] = fmt.Sprintf("read %s ok %d", p, len(b))
				}
			}(i, p)
		}
		wg.Wait()
		for _, l := range lines {
			fmt.Println(l)
		}
		fmt.Printf("pid - ok %d\n", os.Getpid())
	case "exec":
		report("exec", args[1], exec.Command(args[1]).Run(), "ran")
	case "listen":
		l, err := net.Listen("tcp", args[1])
		if err == nil {
			l.Close()
		}
		report("listen", args[1], err, "listening")
	case "dial":
		c, err := net.Dial(args[1], args[2])
		if err == nil {
			if args[1] == "udp" {
				_, err = c.Write([]byte("x"))
			}
			c.Close()
		}
		report("dial", args[2], err, "reached")
	}
}
