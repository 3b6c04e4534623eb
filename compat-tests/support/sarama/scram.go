package main

// The SCRAM client side (RFC 5802, RFC 7677) that Sarama 1.22 asks the application for
// (Config.Net.SASL.SCRAMClientGeneratorFunc), on the standard library only: PBKDF2 (Hi) is a few lines of HMAC.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/Shopify/sarama"
)

type scramClient struct {
	newHash func() hash.Hash
	user    string
	pass    string
	authzID string
	step    int
	nonce   string
	// client-first-message-bare, kept for the AuthMessage.
	clientFirstBare string
	serverSignature []byte
	done            bool
}

func scramGenerator(mechanism sarama.SASLMechanism) func() sarama.SCRAMClient {
	h := sha256.New
	if mechanism == sarama.SASLTypeSCRAMSHA512 {
		h = sha512.New
	}
	return func() sarama.SCRAMClient { return &scramClient{newHash: h} }
}

func (s *scramClient) Begin(user, pass, authzID string) error {
	s.user, s.pass, s.authzID = user, pass, authzID
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	s.nonce = base64.RawStdEncoding.EncodeToString(b)
	return nil
}

func (s *scramClient) Done() bool { return s.done }

// saslName escapes ',' and '=' in a user name (RFC 5802 section 5.1).
func saslName(n string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(n)
}

func (s *scramClient) gs2Header() string {
	if s.authzID == "" {
		return "n,,"
	}
	return "n,a=" + saslName(s.authzID) + ","
}

func (s *scramClient) hmac(key, msg []byte) []byte {
	m := hmac.New(s.newHash, key)
	m.Write(msg)
	return m.Sum(nil)
}

// hi is PBKDF2 with HMAC and one block of the hash's length (RFC 5802 Hi()).
func (s *scramClient) hi(password, salt []byte, iterations int) []byte {
	var one [4]byte
	binary.BigEndian.PutUint32(one[:], 1)
	u := s.hmac(password, append(append([]byte{}, salt...), one[:]...))
	out := append([]byte{}, u...)
	for i := 1; i < iterations; i++ {
		u = s.hmac(password, u)
		for j := range out {
			out[j] ^= u[j]
		}
	}
	return out
}

func parseAttributes(msg string) map[string]string {
	attrs := map[string]string{}
	for _, part := range strings.Split(msg, ",") {
		if len(part) >= 2 && part[1] == '=' {
			attrs[part[:1]] = part[2:]
		}
	}
	return attrs
}

func (s *scramClient) Step(challenge string) (string, error) {
	s.step++
	switch s.step {
	case 1:
		s.clientFirstBare = "n=" + saslName(s.user) + ",r=" + s.nonce
		return s.gs2Header() + s.clientFirstBare, nil
	case 2:
		attrs := parseAttributes(challenge)
		if e, ok := attrs["e"]; ok {
			return "", fmt.Errorf("server error: %s", e)
		}
		nonce, salt64, iter := attrs["r"], attrs["s"], attrs["i"]
		if !strings.HasPrefix(nonce, s.nonce) || len(nonce) == len(s.nonce) {
			return "", errors.New("server nonce does not extend the client nonce")
		}
		salt, err := base64.StdEncoding.DecodeString(salt64)
		if err != nil {
			return "", fmt.Errorf("bad salt: %v", err)
		}
		iterations, err := strconv.Atoi(iter)
		if err != nil || iterations < 1 {
			return "", fmt.Errorf("bad iteration count %q", iter)
		}
		salted := s.hi([]byte(s.pass), salt, iterations)
		clientKey := s.hmac(salted, []byte("Client Key"))
		h := s.newHash()
		h.Write(clientKey)
		storedKey := h.Sum(nil)
		withoutProof := "c=" + base64.StdEncoding.EncodeToString([]byte(s.gs2Header())) + ",r=" + nonce
		authMessage := []byte(s.clientFirstBare + "," + challenge + "," + withoutProof)
		proof := s.hmac(storedKey, authMessage)
		for i := range proof {
			proof[i] ^= clientKey[i]
		}
		s.serverSignature = s.hmac(s.hmac(salted, []byte("Server Key")), authMessage)
		return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), nil
	case 3:
		attrs := parseAttributes(challenge)
		if e, ok := attrs["e"]; ok {
			return "", fmt.Errorf("server error: %s", e)
		}
		v, err := base64.StdEncoding.DecodeString(attrs["v"])
		if err != nil || !hmac.Equal(v, s.serverSignature) {
			return "", errors.New("the server's signature does not verify")
		}
		s.done = true
		return "", nil
	}
	return "", errors.New("SCRAM exchange already complete")
}
