package main

// TLS and SASL settings for the client, and the "matrix" action: one process runs a list of security cases (as
// support/python/security_matrix.py does for the python clients).
//
//	"security": {"protocol":"SASL_SSL"|"SASL_PLAINTEXT"|"SSL"|"PLAINTEXT","mechanism":"PLAIN"|"SCRAM-SHA-256"|
//	             "SCRAM-SHA-512"|"OAUTHBEARER","username":..,"password":..,"token":"<OAUTHBEARER token>",
//	             "ca":"ca.pem","cert":"client.pem","key":"client.key"}
//	matrix:   {"action":"matrix","cases":[{"name","brokers","topic","version","expect":"ok"|"refused",
//	            "refusal":["substring",..],"security":{..}}]}
//	          -> {"results":{name:"ok"|"refused"|"error: ..."}}
//
// A case produces one message and reads it back; a refused case must fail, with one of the refusal substrings in
// the error or in Sarama's log.

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io/ioutil"
	"log"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

type securityArgs struct {
	Protocol  string `json:"protocol"`
	Mechanism string `json:"mechanism"`
	Username  string `json:"username"`
	Password  string `json:"password"`
	Token     string `json:"token"`
	CA        string `json:"ca"`
	Cert      string `json:"cert"`
	Key       string `json:"key"`
}

type staticToken string

func (t staticToken) Token() (*sarama.AccessToken, error) {
	return &sarama.AccessToken{Token: string(t)}, nil
}

func applySecurity(c *sarama.Config, s *securityArgs) error {
	if s == nil || s.Protocol == "" || s.Protocol == "PLAINTEXT" {
		return nil
	}
	if strings.HasSuffix(s.Protocol, "SSL") {
		pem, err := ioutil.ReadFile(s.CA)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("no certificate in %s", s.CA)
		}
		cfg := &tls.Config{RootCAs: pool}
		if s.Cert != "" {
			pair, err := tls.LoadX509KeyPair(s.Cert, s.Key)
			if err != nil {
				return err
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		c.Net.TLS.Enable = true
		c.Net.TLS.Config = cfg
	}
	if strings.HasPrefix(s.Protocol, "SASL_") {
		c.Net.SASL.Enable = true
		c.Net.SASL.Handshake = true
		c.Net.SASL.Mechanism = sarama.SASLMechanism(s.Mechanism)
		c.Net.SASL.User = s.Username
		c.Net.SASL.Password = s.Password
		switch c.Net.SASL.Mechanism {
		case sarama.SASLTypeSCRAMSHA256, sarama.SASLTypeSCRAMSHA512:
			c.Net.SASL.SCRAMClientGeneratorFunc = scramGenerator(c.Net.SASL.Mechanism)
		case sarama.SASLTypeOAuth:
			c.Net.SASL.TokenProvider = staticToken(s.Token)
		}
	}
	return nil
}

type matrixCase struct {
	Name     string        `json:"name"`
	Brokers  []string      `json:"brokers"`
	Topic    string        `json:"topic"`
	Version  string        `json:"version"`
	Expect   string        `json:"expect"`
	Refusal  []string      `json:"refusal"`
	Security *securityArgs `json:"security"`
}

// saramaLog collects Sarama's log lines (what a refused connection reports there).
type saramaLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *saramaLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *saramaLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func runCase(mc *matrixCase) string {
	logs := &saramaLog{}
	sarama.Logger = log.New(logs, "", 0)
	defer func() { sarama.Logger = log.New(ioutil.Discard, "", 0) }()
	a := &args{Version: mc.Version, Acks: new(int)}
	*a.Acks = -1
	c, err := config(a)
	if err == nil {
		err = applySecurity(c, mc.Security)
	}
	if err == nil {
		// a refusal fails fast; a case that must work keeps Sarama's retries (main.go's config): the auto-created
		// topic's first leader election can outlast one retry of 200 ms on a loaded machine
		if mc.Expect == "refused" {
			c.Metadata.Retry.Max = 1
			c.Producer.Retry.Max = 1
		}
		err = c.Validate()
	}
	if err != nil {
		return "error: config: " + err.Error()
	}
	value := fmt.Sprintf("%s over %s", mc.Security.Mechanism, mc.Security.Protocol)
	_, err = produce(&args{Brokers: mc.Brokers, Topic: mc.Topic, Messages: []inMessage{{Value: &value}}}, c)
	if mc.Expect == "refused" {
		if err == nil {
			return "error: produced although it should be refused"
		}
		seen := err.Error() + "\n" + logs.String()
		for _, r := range mc.Refusal {
			if strings.Contains(seen, r) {
				return "refused"
			}
		}
		return "error: refused with " + seen
	}
	if err != nil {
		return "error: produce: " + err.Error() + "\n" + logs.String()
	}
	res, err := consume(&args{Brokers: mc.Brokers, Topic: mc.Topic, Count: 1, TimeoutMs: 15000}, c)
	if err != nil {
		return "error: consume: " + err.Error()
	}
	msgs := res.(map[string]interface{})["messages"].([]outMessage)
	if len(msgs) != 1 || msgs[0].Value == nil || *msgs[0].Value != value {
		return fmt.Sprintf("error: consumed %+v", msgs)
	}
	return "ok"
}

func matrix(a *args) (interface{}, error) {
	results := map[string]string{}
	seconds := map[string]float64{}
	for i := range a.Cases {
		t0 := time.Now()
		results[a.Cases[i].Name] = runCase(&a.Cases[i])
		seconds[a.Cases[i].Name] = time.Since(t0).Seconds()
	}
	return map[string]interface{}{"results": results, "seconds": seconds}, nil
}
