package serve

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// pipeConn is one end of a net.Pipe that says it comes from addr.
type pipeConn struct {
	net.Conn
	addr net.Addr
}

func (p pipeConn) RemoteAddr() net.Addr { return p.addr }

// gateConn takes a connection from ip into g and returns it and the
// client's end.
func gateConn(t *testing.T, g *gate, ip string) (*gatedConn, net.Conn) {
	t.Helper()
	server, client := net.Pipe()
	t.Cleanup(func() { server.Close(); client.Close() })
	return g.take(pipeConn{server, &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}}), client
}

// closed reports whether the server closed the client's end c.
func closed(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe)
}

// Over the bound of its source, a new connection closes the idlest of
// that source; over the total, the idlest of all; authenticated ones
// are not counted.
func TestGateClosesIdlest(t *testing.T) {
	g := newGate(4, 2, time.Hour, slog.New(slog.DiscardHandler))
	a1, a1c := gateConn(t, g, "192.0.2.1")
	a2, a2c := gateConn(t, g, "192.0.2.1")
	a1.last.Store(a2.last.Load() + 1) // a1 read from since a2 came
	_, a3c := gateConn(t, g, "192.0.2.1")
	if !closed(a2c) || closed(a1c) || closed(a3c) {
		t.Errorf("source bound: closed a1 %v a2 %v a3 %v, want a2 alone", closed(a1c), closed(a2c), closed(a3c))
	}
	if n := g.waitingFrom("192.0.2.1"); n != 2 {
		t.Errorf("%d waiting from 192.0.2.1, want 2", n)
	}

	b1, b1c := gateConn(t, g, "198.51.100.7")
	b1.last.Store(0) // idle longest of all
	gateConn(t, g, "203.0.113.9")
	_, dc := gateConn(t, g, "203.0.113.10") // five: over the total of 4
	if !closed(b1c) || closed(a1c) || closed(dc) {
		t.Errorf("total bound: closed b1 %v a1 %v new %v, want b1 alone", closed(b1c), closed(a1c), closed(dc))
	}

	// An authenticated connection leaves the gate and is never closed by it.
	g.progress(a1, "none", errors.New("try a key"))
	g.progress(a1, "publickey", nil)
	if n := g.waitingFrom("192.0.2.1"); n != 1 {
		t.Errorf("%d waiting from 192.0.2.1 after one authenticated, want 1", n)
	}
	a1.last.Store(0)
	for range 10 {
		gateConn(t, g, "192.0.2.1")
	}
	if closed(a1c) {
		t.Error("an authenticated connection was closed by the gate")
	}
}

// A connection that has not asked to authenticate within the key-exchange
// time is closed; one that has is not.
func TestGateKexTimeout(t *testing.T) {
	g := newGate(10, 10, 100*time.Millisecond, slog.New(slog.DiscardHandler))
	_, silent := gateConn(t, g, "192.0.2.1")
	asking, askingc := gateConn(t, g, "192.0.2.2")
	g.progress(asking, "none", errors.New("try a key"))
	time.Sleep(300 * time.Millisecond)
	if !closed(silent) {
		t.Error("a connection silent past the key-exchange time is open")
	}
	if closed(askingc) {
		t.Error("a connection that asked to authenticate was closed")
	}
	if n := g.waitingFrom("192.0.2.1"); n != 0 {
		t.Errorf("%d silent connections still waiting", n)
	}
}

func TestSourceOf(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"::ffff:192.0.2.1":     "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
	} {
		if got := sourceOf(&net.TCPAddr{IP: net.ParseIP(addr), Port: 22}); got != want {
			t.Errorf("%s: %s, want %s", addr, got, want)
		}
	}
}

// Idle connections that never send a banner, hundreds from one address,
// take a bounded number of the server's connections, and an authorised
// user from another address logs in as usual (the full 20,000 are
// measured by hand: docs/serve.md).
func TestServeIdleFlood(t *testing.T) {
	const flood = 400
	key := newKey(t)
	ts := startServer(t, Config{AuthorizedKeysPath: authorizedKeys(t, key), MaxUnauthenticated: 64, MaxUnauthenticatedPerSource: 8})
	conns := make([]net.Conn, 0, flood)
	for range flood {
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatalf("connection %d: %v", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	// The server closed all but the last few.
	closedN := make(chan bool, flood)
	for _, c := range conns {
		go func() {
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			for {
				_, err := c.Read(make([]byte, 256)) // the server's banner, then EOF
				if err != nil {
					closedN <- errors.Is(err, io.EOF)
					return
				}
			}
		}()
	}
	n := 0
	for range flood {
		if <-closedN {
			n++
		}
	}
	if n < flood-8 {
		t.Errorf("the server closed %d of %d idle connections, want all but at most 8", n, flood)
	}
	if w := ts.srv.gate.waitingFrom("127.0.0.1"); w > 8 {
		t.Errorf("%d unauthenticated connections from 127.0.0.1 held, want at most 8", w)
	}

	start := time.Now()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: waitLimit}
	conn, err := d.Dial("tcp", ts.addr)
	if err != nil {
		t.Skipf("no second loopback address to connect from: %v", err)
	}
	cc, chans, reqs, err := gossh.NewClientConn(conn, ts.addr, &gossh.ClientConfig{
		User: "tester", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.FixedHostKey(ts.srv.HostKey()), Timeout: waitLimit,
	})
	if err != nil {
		t.Fatalf("the authorised user from 127.0.0.2: %v", err)
	}
	c := gossh.NewClient(cc, chans, reqs)
	defer c.Close()
	t.Logf("logged in from 127.0.0.2 in %v after %d idle connections from 127.0.0.1", time.Since(start).Round(time.Millisecond), flood)
	tm := openTerm(t, c, 100, 30)
	tm.waitScreen("tweedie │")
}

// A source opening connections faster than sourceRate has the excess
// closed as they are accepted; another source is not held up.
func TestGateRate(t *testing.T) {
	g := newGate(1000, 1000, time.Hour, slog.New(slog.DiscardHandler))
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := g.listener(raw)
	defer ln.Close()
	accepted := make(chan string, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- sourceOf(c.RemoteAddr())
			defer c.Close()
		}
	}()
	const n = 3 * sourceBurst
	var clients []net.Conn
	for range n {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	refused := 0
	for _, c := range clients {
		if closed(c) {
			refused++
		}
		c.Close()
	}
	// The burst, and what the rate let in while the test dialled.
	if refused < n-sourceBurst-sourceRate || refused > n-sourceBurst {
		t.Errorf("%d of %d connections in a burst refused, want about %d", refused, n, n-sourceBurst)
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	other, err := d.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	defer other.Close()
	deadline := time.After(waitLimit)
	for {
		select {
		case src := <-accepted:
			if src == "127.0.0.2" {
				return
			}
		case <-deadline:
			t.Fatal("the other source's connection was not accepted")
		}
	}
}
