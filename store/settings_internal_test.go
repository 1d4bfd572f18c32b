package store

import (
	"net"
	"testing"
)

// TestHelloVersion reads the version from server hellos as ClickHouse
// sends them, and refuses anything else.
func TestHelloVersion(t *testing.T) {
	long := make([]byte, 200) // a name whose length takes two varint bytes
	for i := range long {
		long[i] = 'x'
	}
	for _, tc := range []struct {
		name         string
		b            []byte
		major, minor uint64
		ok           bool
	}{
		{"18.16", append([]byte{0, 10}, append([]byte("ClickHouse"), 18, 16, 0xdd, 0xa8, 0x03, 3, 'U', 'T', 'C')...), 18, 16, true},
		{"26.8", append([]byte{0, 10}, append([]byte("ClickHouse"), 26, 8, 0xb4, 0xa9, 0x03)...), 26, 8, true},
		{"two-byte name length", append([]byte{0, 0xc8, 0x01}, append(long, 26, 2)...), 26, 2, true},
		{"exception instead of hello", []byte{2, 0, 0, 0}, 0, 0, false},
		{"cut in the name", []byte{0, 10, 'C', 'l'}, 0, 0, false},
		{"cut before minor", append([]byte{0, 1, 'C'}, 26), 0, 0, false},
		{"nothing", nil, 0, 0, false},
	} {
		c := &helloConn{buf: tc.b}
		major, minor, err := c.version()
		if (err == nil) != tc.ok || major != tc.major || minor != tc.minor {
			t.Errorf("%s: %d.%d %v, want %d.%d ok=%v", tc.name, major, minor, err, tc.major, tc.minor, tc.ok)
		}
	}
}

// TestHelloConnStopsKeeping: the bytes read after the handshake are not
// kept.
func TestHelloConnStopsKeeping(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &helloConn{Conn: a}
	go func() {
		b.Write([]byte{0, 1, 'C', 26, 8})
		b.Write([]byte("after the handshake"))
	}()
	p := make([]byte, 5)
	if _, err := c.Read(p); err != nil {
		t.Fatal(err)
	}
	if major, minor, err := c.version(); err != nil || major != 26 || minor != 8 {
		t.Fatalf("%d.%d %v", major, minor, err)
	}
	p = make([]byte, 64)
	if _, err := c.Read(p); err != nil {
		t.Fatal(err)
	}
	if len(c.buf) != 0 {
		t.Fatalf("kept %q after the handshake", c.buf)
	}
}
