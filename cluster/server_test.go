package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TestServerLoopbackByDefault: the embedded server listens on 127.0.0.1.
func TestServerLoopbackByDefault(t *testing.T) {
	srv, err := StartServer(ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	if want := fmt.Sprintf("nats://127.0.0.1:%d", srv.Port()); srv.URL() != want {
		t.Errorf("URL %s, want %s", srv.URL(), want)
	}
}

// TestServerToken: a server with a token refuses a client without it and
// accepts the token in the URL; errors do not print the token.
func TestServerToken(t *testing.T) {
	srv, err := StartServer(ServerOptions{Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	if _, _, err := Connect(srv.URL(), ConnOptions{}); err == nil {
		t.Fatal("connected without the token")
	}
	url := fmt.Sprintf("nats://s3cret@127.0.0.1:%d", srv.Port())
	nc, js, err := Connect(url, ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := Setup(context.Background(), js, time.Second); err != nil {
		t.Fatal(err)
	}
	bad := fmt.Sprintf("nats://wrong@127.0.0.1:%d", srv.Port())
	if _, _, err := Connect(bad, ConnOptions{}); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong token: err = %v, want a refusal that hides the token", err)
	}
}

// TestServerTLS: a TLS server (certificate from a test CA) is reached
// with the CA given, JetStream included, and refused without it.
func TestServerTLS(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := testCerts(t, dir)
	srv, err := StartServer(ServerOptions{TLSCert: cert, TLSKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	url := fmt.Sprintf("tls://127.0.0.1:%d", srv.Port())
	if _, _, err := Connect(url, ConnOptions{}); err == nil {
		t.Fatal("connected without trusting the test CA")
	}
	nc, js, err := Connect(url, ConnOptions{TLSCA: ca})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	store, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "tls"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.PutString(ctx, "x", "over TLS"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Connect(url, ConnOptions{TLSCA: ca, TLSCert: cert}); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("certificate without key: err = %v", err)
	}
}

// testCerts writes a CA and a server certificate for 127.0.0.1.
func testCerts(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", srvDER), write("server-key.pem", "EC PRIVATE KEY", keyDER)
}

// TestRedact: passwords and tokens in URLs are hidden.
func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"nats://u:p@host:4222": "nats://***@host:4222",
		"nats://tok@host:4222": "nats://***@host:4222",
		"nats://host:4222":     "nats://host:4222",
		"nats://host:4222/a@b": "nats://host:4222/a@b",
		"host:4222":            "host:4222",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
