// Sarama 1.22's ConsumerGroup for the group compat tests, driven by one JSON argument; prints one JSON event per
// line.
//
//	consume: {"action":"consume","brokers":["h:p"],"topic":"t","group":"g","version":"2.1.0",
//	          "count":N,        process (MarkMessage) N messages, then
//	          "tail":M,         process M more without marking them, then close (Close flushes marked offsets)
//	          "metadata":"m",   MarkMessage metadata
//	          "strategy":"range"|"roundrobin","timeout_ms":30000}
//	  events: {"event":"setup","generation":g,"claims":[..]} {"event":"message","partition":p,"offset":o,
//	          "value":v,"committed":bool} {"event":"result","processed":n,"uncommitted":m,
//	          "committed":{"p":[offset,"metadata"]}}   (committed: OffsetFetch after Close, through ClusterAdmin)
//	admin:   {"action":"admin","brokers":[..],"group":"g","topic":"t","version":..}
//	  -> {"event":"result","groups":{"g":"consumer"},"describe":{...},"offsets":{"p":[offset,"metadata"]}}
//
// Errors: {"event":"error","error":"..."} and exit 1.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

type args struct {
	Action    string   `json:"action"`
	Brokers   []string `json:"brokers"`
	Topic     string   `json:"topic"`
	Group     string   `json:"group"`
	Version   string   `json:"version"`
	Count     int      `json:"count"`
	Tail      int      `json:"tail"`
	Metadata  string   `json:"metadata"`
	Strategy  string   `json:"strategy"`
	TimeoutMs int      `json:"timeout_ms"`
}

var outMu sync.Mutex

func emit(v map[string]interface{}) {
	b, _ := json.Marshal(v)
	outMu.Lock()
	fmt.Println(string(b))
	outMu.Unlock()
}

func fail(err error) {
	emit(map[string]interface{}{"event": "error", "error": err.Error()})
	os.Exit(1)
}

func config(a *args) (*sarama.Config, error) {
	c := sarama.NewConfig()
	c.ClientID = "samsa-compat-sarama-group"
	version := a.Version
	if version == "" {
		version = "2.1.0"
	}
	v, err := sarama.ParseKafkaVersion(version)
	if err != nil {
		return nil, err
	}
	c.Version = v
	c.Net.DialTimeout = 10 * time.Second
	c.Metadata.Retry.Max = 10
	c.Metadata.Retry.Backoff = 200 * time.Millisecond
	c.Consumer.Return.Errors = true
	c.Consumer.MaxWaitTime = 100 * time.Millisecond
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	c.Consumer.Group.Session.Timeout = 6 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	c.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	switch a.Strategy {
	case "", "range":
		c.Consumer.Group.Rebalance.Strategy = sarama.BalanceStrategyRange
	case "roundrobin":
		c.Consumer.Group.Rebalance.Strategy = sarama.BalanceStrategyRoundRobin
	default:
		return nil, fmt.Errorf("unknown strategy %q", a.Strategy)
	}
	return c, c.Validate()
}

type handler struct {
	a         *args
	mu        sync.Mutex
	processed int
	extra     int
	done      chan struct{}
	once      sync.Once
}

func (h *handler) Setup(s sarama.ConsumerGroupSession) error {
	claims := s.Claims()[h.a.Topic]
	sorted := append([]int32(nil), claims...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	emit(map[string]interface{}{"event": "setup", "generation": s.GenerationID(), "member_id": s.MemberID(), "claims": sorted})
	return nil
}

func (h *handler) Cleanup(s sarama.ConsumerGroupSession) error {
	emit(map[string]interface{}{"event": "cleanup", "generation": s.GenerationID()})
	return nil
}

func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.mu.Lock()
		if h.processed >= h.a.Count && h.extra >= h.a.Tail {
			h.mu.Unlock()
			h.once.Do(func() { close(h.done) })
			continue // not processed: not marked, not reported
		}
		commit := h.processed < h.a.Count
		if commit {
			s.MarkMessage(m, h.a.Metadata)
			h.processed++
		} else {
			h.extra++
		}
		emit(map[string]interface{}{"event": "message", "partition": m.Partition, "offset": m.Offset, "value": string(m.Value), "committed": commit})
		finished := h.processed >= h.a.Count && h.extra >= h.a.Tail
		h.mu.Unlock()
		if finished {
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}

func timeout(a *args) time.Duration {
	if a.TimeoutMs > 0 {
		return time.Duration(a.TimeoutMs) * time.Millisecond
	}
	return 30 * time.Second
}

func consume(a *args, c *sarama.Config) (map[string]interface{}, error) {
	g, err := sarama.NewConsumerGroup(a.Brokers, a.Group, c)
	if err != nil {
		return nil, err
	}
	h := &handler{a: a, done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), timeout(a))
	defer cancel()
	go func() {
		for e := range g.Errors() {
			emit(map[string]interface{}{"event": "client_error", "error": e.Error()})
		}
	}()
	consumed := make(chan struct{})
	go func() {
		defer close(consumed)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{a.Topic}, h); err != nil {
				emit(map[string]interface{}{"event": "client_error", "error": err.Error()})
				time.Sleep(200 * time.Millisecond)
			}
		}
	}()
	timedOut := false
	select {
	case <-h.done:
	case <-ctx.Done():
		timedOut = true
	}
	cancel()
	<-consumed // the session is released: its offset manager flushed the marked offsets
	if err := g.Close(); err != nil {
		return nil, err
	}
	h.mu.Lock()
	processed, extra := h.processed, h.extra
	h.mu.Unlock()
	if timedOut {
		return nil, fmt.Errorf("timed out after %d/%d (+%d/%d) messages", processed, a.Count, extra, a.Tail)
	}
	committed, err := fetchOffsets(a, c)
	if err != nil {
		return nil, err
	}
	return map[string]interface{}{"event": "result", "processed": processed, "uncommitted": extra, "committed": committed}, nil
}

func fetchOffsets(a *args, c *sarama.Config) (map[string]interface{}, error) {
	admin, err := sarama.NewClusterAdmin(a.Brokers, c)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	// OffsetFetch v1 (what Sarama 1.22 sends) needs the partitions spelled out.
	topics, err := admin.DescribeTopics([]string{a.Topic})
	if err != nil {
		return nil, err
	}
	if len(topics) != 1 || topics[0].Err != sarama.ErrNoError {
		return nil, fmt.Errorf("DescribeTopics(%s): %v", a.Topic, topics)
	}
	partitions := []int32{}
	for _, p := range topics[0].Partitions {
		partitions = append(partitions, p.ID)
	}
	resp, err := admin.ListConsumerGroupOffsets(a.Group, map[string][]int32{a.Topic: partitions})
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	for p, b := range resp.Blocks[a.Topic] {
		if b.Err != sarama.ErrNoError {
			return nil, b.Err
		}
		out[strconv.Itoa(int(p))] = []interface{}{b.Offset, b.Metadata}
	}
	return out, nil
}

func adminViews(a *args, c *sarama.Config) (map[string]interface{}, error) {
	admin, err := sarama.NewClusterAdmin(a.Brokers, c)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	groups, err := admin.ListConsumerGroups()
	if err != nil {
		return nil, err
	}
	described, err := admin.DescribeConsumerGroups([]string{a.Group})
	if err != nil {
		return nil, err
	}
	if len(described) != 1 {
		return nil, errors.New("DescribeConsumerGroups returned no group")
	}
	d := described[0]
	members := []map[string]interface{}{}
	for id, m := range d.Members {
		assignment := map[string][]int32{}
		if as, err := m.GetMemberAssignment(); err == nil && as != nil {
			assignment = as.Topics
		}
		members = append(members, map[string]interface{}{"member_id": id, "client_id": m.ClientId, "client_host": m.ClientHost, "assignment": assignment})
	}
	offsets, err := fetchOffsets(a, c)
	if err != nil {
		return nil, err
	}
	return map[string]interface{}{
		"event":    "result",
		"groups":   groups,
		"describe": map[string]interface{}{"error": d.Err.Error(), "error_code": int(d.Err), "group": d.GroupId, "state": d.State, "protocol_type": d.ProtocolType, "protocol": d.Protocol, "members": members},
		"offsets":  offsets,
	}, nil
}

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: sarama-group '<json>'"))
	}
	var a args
	if err := json.Unmarshal([]byte(os.Args[1]), &a); err != nil {
		fail(err)
	}
	c, err := config(&a)
	if err != nil {
		fail(err)
	}
	var res map[string]interface{}
	switch a.Action {
	case "consume":
		res, err = consume(&a, c)
	case "admin":
		res, err = adminViews(&a, c)
	default:
		err = fmt.Errorf("unknown action %q", a.Action)
	}
	if err != nil {
		fail(err)
	}
	emit(res)
}
