// Reads {"cases": [{"kind", "key", "version", "hex"}]} on stdin; writes {"known": [...], "results": [...]}:
// each result the bytes Sarama encoded again ({"consumed", "hex"}) or {"error"}.
package main

import (
	"encoding/hex"
	"encoding/json"
	"os"

	"github.com/Shopify/sarama"
)

type input struct {
	Cases []struct {
		Kind    string `json:"kind"`
		Key     int16  `json:"key"`
		Version int16  `json:"version"`
		Hex     string `json:"hex"`
	} `json:"cases"`
}

type result struct {
	Consumed *int    `json:"consumed,omitempty"`
	Hex      *string `json:"hex,omitempty"`
	Error    string  `json:"error,omitempty"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	results := []result{}
	for _, c := range in.Cases {
		data, err := hex.DecodeString(c.Hex)
		if err == nil {
			var out []byte
			if out, err = sarama.SamsaRoundTrip(c.Kind, c.Key, c.Version, data); err == nil {
				n := len(data) // Sarama's decoder fails unless it read every byte
				h := hex.EncodeToString(out)
				results = append(results, result{Consumed: &n, Hex: &h})
				continue
			}
		}
		results = append(results, result{Error: err.Error()})
	}
	if err := json.NewEncoder(os.Stdout).Encode(map[string]interface{}{"known": sarama.SamsaKnown(), "results": results}); err != nil {
		panic(err)
	}
}
