package serve

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"
)

// Bounds on connections that have not authenticated yet: idle connections
// that never send a banner would otherwise take every file descriptor and
// lock authorised users out.
const (
	// DefaultMaxUnauthenticated bounds them in total.
	DefaultMaxUnauthenticated = 256
	// DefaultMaxUnauthenticatedPerSource bounds them per source: an IPv4
	// address, or an IPv6 /64 (what one host usually has).
	DefaultMaxUnauthenticatedPerSource = 8
	// kexTimeout bounds the time from connecting to the first
	// authentication request: banner and key exchange, which need no
	// person. handshakeTimeout then bounds the whole authentication.
	kexTimeout = 10 * time.Second
)

// gate keeps the connections that have not authenticated within bounds,
// in total and per source: a new one over a bound closes the one of its
// source (or, over the total, of any source) that has been idle longest,
// and one that has not asked to authenticate within kex is closed. A
// connection leaves the gate once it authenticates, or closes.
type gate struct {
	maxTotal, maxPerSource int
	kex                    time.Duration
	log                    *slog.Logger

	mu       sync.Mutex
	waiting  map[*gatedConn]struct{}
	bySource map[string]int
	dropped  int       // closed over a bound, not logged yet
	logged   time.Time // when the last line about dropping was logged
}

// gateLogEvery is the most often the gate logs that it drops connections.
const gateLogEvery = 10 * time.Second

func newGate(maxTotal, maxPerSource int, kex time.Duration, log *slog.Logger) *gate {
	return &gate{maxTotal: maxTotal, maxPerSource: maxPerSource, kex: kex, log: log,
		waiting: make(map[*gatedConn]struct{}), bySource: make(map[string]int)}
}

// gatedConn is a connection in the gate until it authenticates.
type gatedConn struct {
	net.Conn
	g      *gate
	source string
	last   atomic.Int64 // unix nanoseconds of the last bytes read
	asked  atomic.Bool  // it asked to authenticate
	kex    *time.Timer
}

// gateKey is the context key of a connection's gatedConn.
type gateKey struct{}

// admit takes a new connection into the gate (an ssh.ConnCallback).
func (g *gate) admit(ctx ssh.Context, conn net.Conn) net.Conn {
	c := g.take(conn)
	ctx.SetValue(gateKey{}, c)
	return c
}

// take takes a new connection into the gate, closing the idlest first
// when it would be over a bound.
func (g *gate) take(conn net.Conn) *gatedConn {
	c := &gatedConn{Conn: conn, g: g, source: sourceOf(conn.RemoteAddr())}
	c.last.Store(time.Now().UnixNano())
	c.kex = time.AfterFunc(g.kex, func() {
		if !c.asked.Load() {
			g.remove(c)
			c.Conn.Close()
		}
	})
	var evict []*gatedConn
	g.mu.Lock()
	if g.bySource[c.source] >= g.maxPerSource {
		evict = append(evict, g.idlest(c.source))
		g.removeLocked(evict[0])
	}
	if len(g.waiting) >= g.maxTotal {
		e := g.idlest("")
		g.removeLocked(e)
		evict = append(evict, e)
	}
	g.waiting[c] = struct{}{}
	g.bySource[c.source]++
	g.dropped += len(evict)
	report := g.dropped > 0 && time.Since(g.logged) >= gateLogEvery
	dropped, waiting := g.dropped, len(g.waiting)
	if report {
		g.dropped, g.logged = 0, time.Now()
	}
	g.mu.Unlock()

	for _, e := range evict {
		e.Conn.Close() // its handshake fails, and the ssh package closes it
	}
	if report {
		g.log.Warn("unauthenticated connections over the bound: closed the idlest", "closed", dropped,
			"waiting", waiting, "max", g.maxTotal, "max_per_source", g.maxPerSource)
	}
	return c
}

// idlest is the waiting connection of source ("" any) idle longest.
func (g *gate) idlest(source string) *gatedConn {
	var best *gatedConn
	for c := range g.waiting {
		if (source == "" || c.source == source) && (best == nil || c.last.Load() < best.last.Load()) {
			best = c
		}
	}
	return best
}

// removeLocked takes c out of the gate, if it is in.
func (g *gate) removeLocked(c *gatedConn) {
	if _, ok := g.waiting[c]; !ok {
		return
	}
	delete(g.waiting, c)
	if g.bySource[c.source]--; g.bySource[c.source] == 0 {
		delete(g.bySource, c.source)
	}
}

func (g *gate) remove(c *gatedConn) {
	g.mu.Lock()
	g.removeLocked(c)
	g.mu.Unlock()
}

// authLog follows the connection of ctx through authentication (from the
// ssh package's AuthLogCallback): see progress.
func (g *gate) authLog(ctx ssh.Context, method string, err error) {
	if c, ok := ctx.Value(gateKey{}).(*gatedConn); ok {
		g.progress(c, method, err)
	}
}

// progress notes an authentication request of c: the first ends its
// key-exchange deadline, and success takes it out of the gate.
func (g *gate) progress(c *gatedConn, method string, err error) {
	if c.asked.CompareAndSwap(false, true) {
		c.kex.Stop()
	}
	if err == nil && method == "publickey" {
		g.remove(c)
	}
}

// waitingFrom is how many connections of source wait in the gate.
func (g *gate) waitingFrom(source string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.bySource[source]
}

func (c *gatedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.last.Store(time.Now().UnixNano())
	}
	return n, err
}

// Close closes the connection and takes it out of the gate.
func (c *gatedConn) Close() error {
	c.kex.Stop()
	c.g.remove(c)
	return c.Conn.Close()
}

// closedByGate reports whether err is that of a connection closed under
// its handshake: by the gate, or by a shutdown. The gate logs those in
// bulk, not one by one.
func closedByGate(err error) bool { return errors.Is(err, net.ErrClosed) }

// sourceOf is the source an address is counted under: its IP for IPv4,
// its /64 for IPv6, the whole address otherwise.
func sourceOf(a net.Addr) string {
	t, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ip4 := t.IP.To4(); ip4 != nil {
		return ip4.String()
	}
	return (&net.IPNet{IP: t.IP.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}
