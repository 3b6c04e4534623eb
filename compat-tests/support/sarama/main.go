// A Sarama 1.22 client for the compat tests, driven by one JSON argument; prints one JSON result line.
//
//	produce:   {"action":"produce","brokers":["h:p"],"topic":"t","version":"2.1.0"|"default",
//	            "compression":"none|gzip|snappy|lz4|zstd","acks":-1|0|1,
//	            "messages":[{"key":"k","value":"v","headers":{"h":"v"},"partition":0}]}
//	           -> {"results":[{"partition":0,"offset":5}]}           (SyncProducer)
//	consume:   {"action":"consume","brokers":[..],"topic":"t","partition":0,"offset":"oldest"|N,"count":N,
//	            "timeout_ms":20000,"version":..}                        (partition consumer)
//	group:     {"action":"group","brokers":[..],"topic":"t","group":"g","count":N,"timeout_ms":..,"version":..}
//	           -> {"messages":[{"partition":0,"offset":0,"key":"k","value":"v","headers":{..},"timestamp":ms}]}
//	matrix:    security cases, see security.go
//
// Every action takes "security" (TLS and SASL settings, see security.go).
//
// Errors: exit 1 with {"error":"..."}.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

type inMessage struct {
	Key       *string           `json:"key"`
	Value     *string           `json:"value"`
	Headers   map[string]string `json:"headers"`
	Partition *int32            `json:"partition"`
}

type args struct {
	Action      string        `json:"action"`
	Brokers     []string      `json:"brokers"`
	Topic       string        `json:"topic"`
	Version     string        `json:"version"`
	Compression string        `json:"compression"`
	Acks        *int          `json:"acks"`
	Messages    []inMessage   `json:"messages"`
	Partition   int32         `json:"partition"`
	Offset      interface{}   `json:"offset"`
	Count       int           `json:"count"`
	TimeoutMs   int           `json:"timeout_ms"`
	Group       string        `json:"group"`
	Security    *securityArgs `json:"security"`
	Cases       []matrixCase  `json:"cases"`
}

type outMessage struct {
	Partition int32             `json:"partition"`
	Offset    int64             `json:"offset"`
	Key       *string           `json:"key"`
	Value     *string           `json:"value"`
	Headers   map[string]string `json:"headers"`
	Timestamp int64             `json:"timestamp"`
}

func fail(err error) {
	b, _ := json.Marshal(map[string]string{"error": err.Error()})
	fmt.Println(string(b))
	os.Exit(1)
}

func config(a *args) (*sarama.Config, error) {
	c := sarama.NewConfig()
	c.ClientID = "samsa-compat-sarama"
	if a.Version != "" && a.Version != "default" {
		v, err := sarama.ParseKafkaVersion(a.Version)
		if err != nil {
			return nil, err
		}
		c.Version = v
	}
	c.Net.DialTimeout = 10 * time.Second
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	c.Producer.Return.Successes = true
	c.Producer.Return.Errors = true
	c.Producer.Retry.Max = 5
	c.Producer.Retry.Backoff = 200 * time.Millisecond
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.RequiredAcks = sarama.WaitForLocal
	if a.Acks != nil {
		c.Producer.RequiredAcks = sarama.RequiredAcks(*a.Acks)
	}
	switch a.Compression {
	case "", "none":
		c.Producer.Compression = sarama.CompressionNone
	case "gzip":
		c.Producer.Compression = sarama.CompressionGZIP
	case "snappy":
		c.Producer.Compression = sarama.CompressionSnappy
	case "lz4":
		c.Producer.Compression = sarama.CompressionLZ4
	case "zstd":
		c.Producer.Compression = sarama.CompressionZSTD
	default:
		return nil, fmt.Errorf("unknown compression %q", a.Compression)
	}
	c.Consumer.Return.Errors = true
	c.Consumer.MaxWaitTime = 200 * time.Millisecond
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Group.Session.Timeout = 10 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 1 * time.Second
	if err := applySecurity(c, a.Security); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

func str(s *string) sarama.Encoder {
	if s == nil {
		return nil
	}
	return sarama.StringEncoder(*s)
}

func produce(a *args, c *sarama.Config) (interface{}, error) {
	p, err := sarama.NewSyncProducer(a.Brokers, c)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	type result struct {
		Partition int32 `json:"partition"`
		Offset    int64 `json:"offset"`
	}
	results := []result{}
	for _, m := range a.Messages {
		pm := &sarama.ProducerMessage{Topic: a.Topic, Key: str(m.Key), Value: str(m.Value), Partition: a.Partition}
		if m.Partition != nil {
			pm.Partition = *m.Partition
		}
		for k, v := range m.Headers {
			pm.Headers = append(pm.Headers, sarama.RecordHeader{Key: []byte(k), Value: []byte(v)})
		}
		part, off, err := p.SendMessage(pm)
		if err != nil {
			return nil, err
		}
		results = append(results, result{part, off})
	}
	return map[string]interface{}{"results": results}, nil
}

func toOut(m *sarama.ConsumerMessage) outMessage {
	o := outMessage{Partition: m.Partition, Offset: m.Offset, Headers: map[string]string{}, Timestamp: m.Timestamp.UnixNano() / 1e6}
	if m.Key != nil {
		k := string(m.Key)
		o.Key = &k
	}
	if m.Value != nil {
		v := string(m.Value)
		o.Value = &v
	}
	for _, h := range m.Headers {
		o.Headers[string(h.Key)] = string(h.Value)
	}
	return o
}

func timeout(a *args) time.Duration {
	if a.TimeoutMs > 0 {
		return time.Duration(a.TimeoutMs) * time.Millisecond
	}
	return 20 * time.Second
}

func consume(a *args, c *sarama.Config) (interface{}, error) {
	consumer, err := sarama.NewConsumer(a.Brokers, c)
	if err != nil {
		return nil, err
	}
	defer consumer.Close()
	offset := sarama.OffsetOldest
	switch o := a.Offset.(type) {
	case string:
		if o == "newest" {
			offset = sarama.OffsetNewest
		} else if o != "oldest" && o != "" {
			n, err := strconv.ParseInt(o, 10, 64)
			if err != nil {
				return nil, err
			}
			offset = n
		}
	case float64:
		offset = int64(o)
	}
	pc, err := consumer.ConsumePartition(a.Topic, a.Partition, offset)
	if err != nil {
		return nil, err
	}
	defer pc.Close()
	out := []outMessage{}
	deadline := time.After(timeout(a))
	for len(out) < a.Count {
		select {
		case m := <-pc.Messages():
			out = append(out, toOut(m))
		case e := <-pc.Errors():
			return nil, e
		case <-deadline:
			return map[string]interface{}{"messages": out, "timed_out": true}, nil
		}
	}
	return map[string]interface{}{"messages": out}, nil
}

type handler struct {
	mu    sync.Mutex
	out   []outMessage
	count int
	done  chan struct{}
	once  sync.Once
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.mu.Lock()
		h.out = append(h.out, toOut(m))
		n := len(h.out)
		h.mu.Unlock()
		s.MarkMessage(m, "")
		if n >= h.count {
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}

func group(a *args, c *sarama.Config) (interface{}, error) {
	g, err := sarama.NewConsumerGroup(a.Brokers, a.Group, c)
	if err != nil {
		return nil, err
	}
	h := &handler{count: a.Count, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), timeout(a))
	defer cancel()
	errs := make(chan error, 16)
	go func() {
		for e := range g.Errors() {
			select {
			case errs <- e:
			default:
			}
		}
	}()
	go func() {
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{a.Topic}, h); err != nil {
				select {
				case errs <- err:
				default:
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	var lastErr error
wait:
	for {
		select {
		case <-h.done:
			break wait
		case e := <-errs:
			lastErr = e
		case <-ctx.Done():
			break wait
		}
	}
	cancel()
	closeErr := g.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.out) < a.Count {
		if lastErr == nil {
			lastErr = errors.New("timed out")
		}
		return nil, fmt.Errorf("group consumer got %d/%d messages: %v", len(h.out), a.Count, lastErr)
	}
	if closeErr != nil {
		return nil, closeErr
	}
	return map[string]interface{}{"messages": h.out}, nil
}

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: sarama-client '<json>'"))
	}
	var a args
	if err := json.Unmarshal([]byte(os.Args[1]), &a); err != nil {
		fail(err)
	}
	c, err := config(&a)
	if err != nil {
		fail(err)
	}
	var res interface{}
	switch a.Action {
	case "produce":
		res, err = produce(&a, c)
	case "consume":
		res, err = consume(&a, c)
	case "group":
		res, err = group(&a, c)
	case "matrix":
		res, err = matrix(&a)
	default:
		err = fmt.Errorf("unknown action %q", a.Action)
	}
	if err != nil {
		fail(err)
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
}
