package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkWeightsTransfer measures one weight update's cost through an
// embedded server on loopback: the learner's Put of a 64 MiB object and
// one worker's Get (the object store's chunked transfer), as MB/s
// (docs/results/cluster.md: go test -run '^$' -bench WeightsTransfer ./cluster).
func BenchmarkWeightsTransfer(b *testing.B) {
	srv, err := StartServer(ServerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	nc, js, err := Connect(srv.URL(), ConnOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	store, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "bench", Storage: jetstream.FileStorage})
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 64<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := store.PutBytes(ctx, "weights", data); err != nil {
			b.Fatal(err)
		}
		got, err := getBlob(ctx, store, "weights")
		if err != nil || len(got) != len(data) {
			b.Fatalf("get: %v (%d bytes)", err, len(got))
		}
	}
}
