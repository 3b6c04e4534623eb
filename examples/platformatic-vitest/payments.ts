/**
 * The application under test, written with @platformatic/kafka: a payment service that records each payment on the
 * `payments` topic (keyed by account, idempotent, acks=all) and a ledger that keeps every account's balance from
 * that topic with a consumer group.
 */
import {
  Consumer,
  type MessagesStream,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka'

export interface Payment {
  readonly id: string
  readonly account: string
  readonly cents: number
}

export class PaymentService {
  private readonly producer: Producer<string, string, string, string>

  constructor(
    bootstrapBrokers: string[],
    private readonly topic: string,
  ) {
    this.producer = new Producer({
      clientId: 'payments-app',
      bootstrapBrokers,
      serializers: stringSerializers,
      idempotent: true,
    })
  }

  async record(...payments: Payment[]): Promise<void> {
    await this.producer.send({
      messages: payments.map((p) => ({ topic: this.topic, key: p.account, value: JSON.stringify(p) })),
    })
  }

  close(): Promise<void> {
    return this.producer.close()
  }
}

export class Ledger {
  readonly balances = new Map<string, number>()
  private readonly consumer: Consumer<string, string, string, string>
  private stream: MessagesStream<string, string, string, string> | undefined

  constructor(
    bootstrapBrokers: string[],
    private readonly topic: string,
    groupId: string,
  ) {
    this.consumer = new Consumer({
      clientId: 'ledger-app',
      groupId,
      bootstrapBrokers,
      deserializers: stringDeserializers,
      maxWaitTime: 100,
    })
  }

  async start(): Promise<void> {
    this.stream = await this.consumer.consume({
      topics: [this.topic],
      mode: 'earliest',
      autocommit: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
    })
    this.stream.on('data', (m) => {
      const p = JSON.parse(m.value) as Payment
      this.balances.set(p.account, (this.balances.get(p.account) ?? 0) + p.cents)
    })
  }

  async close(): Promise<void> {
    await this.stream?.close()
    await this.consumer.close()
  }
}
