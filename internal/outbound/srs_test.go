package outbound

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// interopTime is 2020-01-01 00:01:00 UTC, the clock of the reference
// vectors below.
var interopTime = time.Unix(1577836860, 0)

func newTestSRS(now time.Time) *SRS {
	return &SRS{Domain: "example.com", Secrets: []string{"tops3cr3t"}, Now: func() time.Time { return now }}
}

// The expected values are what libsrs2 (as shipped with PostSRSd) produces
// for the same secret, domain and time, so addresses are interchangeable.
func TestSRSForward(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        error
	}{
		{"null sender", "", "", nil},
		{"ordinary", "test@otherdomain.com", "SRS0=vmyz=2W=otherdomain.com=test@example.com", nil},
		{"own domain unchanged", "test@example.com", "test@example.com", nil},
		{"own domain any case", "test@EXAMPLE.com", "test@EXAMPLE.com", nil},
		{"SRS0 becomes SRS1", "SRS0=opaque+string@otherdomain.com", "SRS1=chaI=otherdomain.com==opaque+string@example.com", nil},
		{"SRS1 gets new hash and domain", "SRS1=X=thirddomain.com==opaque+string@otherdomain.com", "SRS1=JIBX=thirddomain.com==opaque+string@example.com", nil},
		{"no domain", "foo", "", ErrSRSAddress},
		{"empty local part", "@otherdomain.com", "", ErrSRSAddress},
		{"empty domain", "foo@", "", ErrSRSAddress},
		{"equals sign in domain", "a@b=c.example", "", ErrSRSAddress},
		{"control character", "a\r\nb@otherdomain.com", "", ErrSRSAddress},
	}
	s := newTestSRS(interopTime)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Forward(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Forward(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Forward(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSRSReverse(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name    string
		in      string
		at      time.Time
		want    string
		wantErr error
	}{
		{"reference SRS0", "SRS0=vmyz=2W=otherdomain.com=test@example.com", interopTime, "test@otherdomain.com", nil},
		{"hash in other case", "SRS0=VMYZ=2W=otherdomain.com=test@example.com", interopTime, "test@otherdomain.com", nil},
		{"whole address lower-cased", "srs0=vmyz=2w=otherdomain.com=test@example.com", interopTime, "test@otherdomain.com", nil},
		{"plus separator", "SRS0+vmyz=2W=otherdomain.com=test@example.com", interopTime, "test@otherdomain.com", nil},
		{"domain in other case", "SRS0=vmyz=2W=otherdomain.com=test@Example.COM", interopTime, "test@otherdomain.com", nil},
		{"longer hash is cut", "SRS0=vmyzXX=2W=otherdomain.com=test@example.com", interopTime, "test@otherdomain.com", nil},
		{"reference SRS1", "SRS1=chaI=otherdomain.com==opaque+string@example.com", interopTime, "SRS0=opaque+string@otherdomain.com", nil},
		{"21 days old", "SRS0=vmyz=2W=otherdomain.com=test@example.com", interopTime.Add(21 * day), "test@otherdomain.com", nil},
		{"22 days old", "SRS0=vmyz=2W=otherdomain.com=test@example.com", interopTime.Add(22 * day), "", ErrSRSExpired},
		{"from the future", "SRS0=vmyz=2W=otherdomain.com=test@example.com", interopTime.Add(-day), "", ErrSRSExpired},
		{"SRS1 has no age", "SRS1=chaI=otherdomain.com==opaque+string@example.com", interopTime.Add(400 * day), "SRS0=opaque+string@otherdomain.com", nil},
		{"tampered hash", "SRS0=vmyy=2W=otherdomain.com=test@example.com", interopTime, "", ErrSRSHash},
		{"tampered local part", "SRS0=vmyz=2W=otherdomain.com=admin@example.com", interopTime, "", ErrSRSHash},
		{"tampered domain", "SRS0=vmyz=2W=evil.example=test@example.com", interopTime, "", ErrSRSHash},
		{"tampered stamp", "SRS0=vmyz=2X=otherdomain.com=test@example.com", interopTime, "", ErrSRSHash},
		{"tampered SRS1", "SRS1=chaI=evil.example==opaque+string@example.com", interopTime, "", ErrSRSHash},
		{"short hash", "SRS0=vmy=2W=otherdomain.com=test@example.com", interopTime, "", ErrSRSHash},
		{"other domain", "SRS0=vmyz=2W=otherdomain.com=test@example.net", interopTime, "", ErrNotSRS},
		{"not SRS", "test@example.com", interopTime, "", ErrNotSRS},
		{"SRS without separator", "SRS0vmyz@example.com", interopTime, "", ErrNotSRS},
		{"no at sign", "SRS0=vmyz=2W=otherdomain.com=test", interopTime, "", ErrNotSRS},
		{"SRS0 missing fields", "SRS0=vmyz=2W=otherdomain.com@example.com", interopTime, "", ErrSRSMalformed},
		{"SRS0 empty local part", "SRS0=vmyz=2W=otherdomain.com=@example.com", interopTime, "", ErrSRSMalformed},
		{"SRS1 missing fields", "SRS1=chaI=otherdomain.com@example.com", interopTime, "", ErrSRSMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newTestSRS(tt.at).Reverse(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Reverse(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Reverse(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSRSRoundTrip(t *testing.T) {
	now := time.Date(2026, 6, 1, 15, 4, 5, 0, time.UTC)
	addrs := []string{
		"bob@example.org",
		"Bob.Smith+tag@Sub.Example.ORG",
		"\"odd=local\"@example.org",
		"a=b=c@example.org",
		"user@[192.0.2.1]",
		"jörg@bücher.example",
		"x@y",
	}
	for _, a := range addrs {
		t.Run(a, func(t *testing.T) {
			s := newTestSRS(now)
			fwd, err := s.Forward(a)
			if err != nil {
				t.Fatalf("Forward: %v", err)
			}
			if !strings.HasPrefix(fwd, "SRS0=") || !strings.HasSuffix(fwd, "@example.com") {
				t.Errorf("Forward(%q) = %q", a, fwd)
			}
			for _, later := range []time.Duration{0, 20 * 24 * time.Hour} {
				back, err := newTestSRS(now.Add(later)).Reverse(fwd)
				if err != nil || back != a {
					t.Errorf("after %s: Reverse(%q) = %q, %v; want %q", later, fwd, back, err, a)
				}
			}
		})
	}
}

// A message forwarded by host A (SRS0) and then by us (SRS1) bounces to us;
// we send the bounce straight to A, which reverses its own SRS0.
func TestSRSChain(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	hostA := &SRS{Domain: "a.example", Secrets: []string{"secret-a"}, Now: clock}
	hostB := &SRS{Domain: "b.example", Secrets: []string{"secret-b"}, Now: clock}
	hostC := &SRS{Domain: "c.example", Secrets: []string{"secret-c"}, Now: clock}

	srs0, err := hostA.Forward("alice@origin.example")
	if err != nil {
		t.Fatal(err)
	}
	srs1, err := hostB.Forward(srs0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srs1, "SRS1=") || !strings.HasSuffix(srs1, "@b.example") {
		t.Fatalf("second hop: %q", srs1)
	}
	srs1c, err := hostC.Forward(srs1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srs1c, "SRS1=") || !strings.HasSuffix(srs1c, "@c.example") {
		t.Fatalf("third hop: %q", srs1c)
	}
	// A bounce to C goes straight back to A's SRS0 address.
	back, err := hostC.Reverse(srs1c)
	if err != nil || back != srs0 {
		t.Fatalf("C reverses %q to %q, %v; want %q", srs1c, back, err, srs0)
	}
	if _, err := hostB.Reverse(srs1c); !errors.Is(err, ErrNotSRS) {
		t.Errorf("B reversing C's address: %v, want ErrNotSRS", err)
	}
	back, err = hostB.Reverse(srs1)
	if err != nil || back != srs0 {
		t.Fatalf("B reverses %q to %q, %v; want %q", srs1, back, err, srs0)
	}
	orig, err := hostA.Reverse(back)
	if err != nil || orig != "alice@origin.example" {
		t.Fatalf("A reverses %q to %q, %v", back, orig, err)
	}
}

func TestSRSSecretRotation(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	old := &SRS{Domain: "example.com", Secrets: []string{"old"}, Now: func() time.Time { return now }}
	rotated := &SRS{Domain: "example.com", Secrets: []string{"new", "old"}, Now: func() time.Time { return now }}
	dropped := &SRS{Domain: "example.com", Secrets: []string{"new"}, Now: func() time.Time { return now }}

	fwd, err := old.Forward("bob@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Reverse(fwd); err != nil || got != "bob@example.org" {
		t.Errorf("rotated: %q, %v", got, err)
	}
	if _, err := dropped.Reverse(fwd); !errors.Is(err, ErrSRSHash) {
		t.Errorf("dropped secret: %v, want ErrSRSHash", err)
	}
}

func TestSRSConfig(t *testing.T) {
	tests := []struct {
		name string
		srs  *SRS
	}{
		{"no domain", &SRS{Secrets: []string{"s"}}},
		{"no secret", &SRS{Domain: "example.com"}},
		{"empty secret", &SRS{Domain: "example.com", Secrets: []string{""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.srs.Forward("a@b.example"); !errors.Is(err, ErrSRSConfig) {
				t.Errorf("Forward: %v", err)
			}
			if _, err := tt.srs.Reverse("SRS0=x=AA=b=c@example.com"); !errors.Is(err, ErrSRSConfig) {
				t.Errorf("Reverse: %v", err)
			}
			// The null sender needs no configuration.
			if got, err := tt.srs.Forward(""); got != "" || err != nil {
				t.Errorf("Forward(\"\") = %q, %v", got, err)
			}
		})
	}
}

func FuzzSRSReverse(f *testing.F) {
	for _, seed := range []string{
		"test@otherdomain.com",
		"SRS0=vmyz=2W=otherdomain.com=test@example.com",
		"SRS1=chaI=otherdomain.com==opaque+string@example.com",
		"SRS0=opaque+string@otherdomain.com",
		"SRS1=X=thirddomain.com==x@otherdomain.com",
		"srs0-a=b=c=d@example.com",
		"SRS0==@example.com",
		"SRS1===@example.com",
		"@",
		"",
	} {
		f.Add(seed)
	}
	s := newTestSRS(interopTime)
	f.Fuzz(func(t *testing.T, addr string) {
		_, _ = s.Reverse(addr) // must not panic
		fwd, err := s.Forward(addr)
		if err != nil || fwd == addr {
			return
		}
		local, _, _ := splitAddr(addr)
		if hasTag(local, "SRS1") && strings.HasPrefix(fwd, "SRS1") {
			return // reverses to the SRS0 address behind it, by design
		}
		back, err := s.Reverse(fwd)
		if err != nil {
			t.Fatalf("Reverse(Forward(%q) = %q): %v", addr, fwd, err)
		}
		if hasTag(local, "SRS0") {
			// The tag comes back upper-case.
			if !strings.EqualFold(back[:4], addr[:4]) || back[4:] != addr[4:] {
				t.Fatalf("Reverse(Forward(%q)) = %q", addr, back)
			}
			return
		}
		if back != addr {
			t.Fatalf("Reverse(Forward(%q) = %q) = %q", addr, fwd, back)
		}
	})
}
