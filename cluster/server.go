// Package cluster runs autodidact's work beyond one machine over NATS
// JetStream: the cells of a compare grid go on a work-queue stream, worker
// processes on any machine take them, run them and upload their run
// directories to a JetStream object store, and the coordinator assembles
// the compare directory as if it had run the cells itself (sweep.go,
// worker.go, store.go). server.go embeds a NATS server (for one machine and
// for tests) and connects to one by URL with credentials and TLS.
package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ServerOptions configure an embedded NATS server with JetStream.
type ServerOptions struct {
	// Host is the address the server listens on (default 127.0.0.1: only
	// this machine can reach it; name another address to serve workers
	// elsewhere, and then set authentication and TLS).
	Host string
	// Port is the client port (0: a free one, see Server.URL).
	Port int
	// StoreDir holds JetStream's file storage (streams and object stores
	// survive a restart of the server over the same directory). Empty: a
	// temporary directory removed by Shutdown.
	StoreDir string
	// ConfigFile, when set, is a nats-server configuration file (accounts,
	// users, TLS, limits) read first; the fields above then override its
	// host, port and store directory when they are set.
	ConfigFile string
	// User and Password, or Token, require clients to authenticate.
	User, Password, Token string
	// TLSCert and TLSKey (PEM files) make the server speak TLS; TLSCA
	// makes it verify client certificates against that CA.
	TLSCert, TLSKey, TLSCA string
	// Log makes the server log to stderr (default: silent).
	Log bool
}

// Server is an embedded NATS server with JetStream.
type Server struct {
	s   *server.Server
	tmp string // StoreDir made by StartServer, removed by Shutdown
}

// StartServer starts an embedded server and waits until it accepts
// clients.
func StartServer(o ServerOptions) (*Server, error) {
	opts := &server.Options{}
	if o.ConfigFile != "" {
		var err error
		if opts, err = server.ProcessConfigFile(o.ConfigFile); err != nil {
			return nil, fmt.Errorf("nats server config %s: %w", o.ConfigFile, err)
		}
	}
	switch {
	case o.Host != "":
		opts.Host = o.Host
	case o.ConfigFile == "" || opts.Host == "":
		opts.Host = "127.0.0.1"
	}
	switch {
	case o.Port != 0:
		opts.Port = o.Port
	case o.ConfigFile == "" || opts.Port == 0:
		opts.Port = server.RANDOM_PORT
	}
	opts.JetStream = true
	opts.NoSigs = true
	srv := &Server{}
	switch {
	case o.StoreDir != "":
		opts.StoreDir = o.StoreDir
	case opts.StoreDir == "":
		dir, err := os.MkdirTemp("", "autodidact-nats-")
		if err != nil {
			return nil, fmt.Errorf("nats server: %w", err)
		}
		opts.StoreDir, srv.tmp = dir, dir
	}
	if o.User != "" || o.Password != "" {
		opts.Username, opts.Password = o.User, o.Password
	}
	if o.Token != "" {
		opts.Authorization = o.Token
	}
	if o.TLSCert != "" || o.TLSKey != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: o.TLSCert, KeyFile: o.TLSKey, CaFile: o.TLSCA, Verify: o.TLSCA != ""})
		if err != nil {
			srv.removeTemp()
			return nil, fmt.Errorf("nats server TLS: %w", err)
		}
		opts.TLSConfig, opts.TLS, opts.TLSVerify = tc, true, o.TLSCA != ""
	}
	s, err := server.NewServer(opts)
	if err != nil {
		srv.removeTemp()
		return nil, fmt.Errorf("nats server: %w", err)
	}
	if o.Log {
		s.ConfigureLogger()
	}
	srv.s = s
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		srv.removeTemp()
		return nil, fmt.Errorf("nats server on %s: not ready after 30s", net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port)))
	}
	return srv, nil
}

// URL is the address clients connect to (nats://host:port).
func (s *Server) URL() string { return s.s.ClientURL() }

// Port is the client port the server listens on.
func (s *Server) Port() int {
	if a, ok := s.s.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Shutdown stops the server and removes a temporary store directory.
func (s *Server) Shutdown() {
	s.s.Shutdown()
	s.s.WaitForShutdown()
	s.removeTemp()
}

func (s *Server) removeTemp() {
	if s.tmp != "" {
		os.RemoveAll(s.tmp)
	}
}

// ConnOptions say how a client authenticates and secures its connection.
// User and password or a token can also be given in the URL
// (nats://user:pass@host:4222, nats://token@host:4222).
type ConnOptions struct {
	Name      string // client name shown by the server's monitoring
	CredsFile string // a .creds file (user JWT and NKey seed), as `nsc` writes it
	NKeyFile  string // a file holding an NKey seed
	// TLSCA verifies the server's certificate against this CA (PEM);
	// TLSCert and TLSKey present a client certificate. A tls:// URL
	// uses TLS with the system's roots when TLSCA is empty.
	TLSCA, TLSCert, TLSKey string
}

// Connect connects to a NATS server and opens its JetStream context. The
// connection reconnects forever (a restarted server is found again);
// close it with nc.Drain or nc.Close.
func Connect(url string, o ConnOptions) (*nats.Conn, jetstream.JetStream, error) {
	opts := []nats.Option{nats.Name(o.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(false)}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.NKeyFile != "" {
		opt, err := nats.NkeyOptionFromSeed(o.NKeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("nats nkey %s: %w", o.NKeyFile, err)
		}
		opts = append(opts, opt)
	}
	if o.TLSCA != "" || o.TLSCert != "" {
		tc, err := clientTLS(o)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, nats.Secure(tc))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("nats connect %s: %w", redact(url), err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("nats jetstream %s: %w", redact(url), err)
	}
	return nc, js, nil
}

// clientTLS builds the client's TLS configuration.
func clientTLS(o ConnOptions) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSCA != "" {
		pem, err := os.ReadFile(o.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("nats TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("nats TLS CA %s: no PEM certificate in it", o.TLSCA)
		}
		tc.RootCAs = pool
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, errors.New("nats TLS: give both a client certificate and its key, or neither")
	}
	if o.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("nats TLS client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// redact hides a URL's password or token in messages.
func redact(url string) string {
	for i := 0; i+3 <= len(url); i++ {
		if url[i:i+3] == "://" {
			rest := url[i+3:]
			for j := 0; j < len(rest); j++ {
				switch rest[j] {
				case '@':
					return url[:i+3] + "***@" + rest[j+1:]
				case '/':
					return url
				}
			}
			return url
		}
	}
	return url
}
