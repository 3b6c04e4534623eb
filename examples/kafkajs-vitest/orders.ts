/**
 * The application under test: a tiny order service that writes each order to the `orders` topic (keyed by customer,
 * acks=all, idempotent) and a projection that counts the orders per customer from that topic with a consumer group.
 */
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs'

export interface Order {
  readonly id: string
  readonly customer: string
  readonly amount: number
}

export class OrderService {
  private readonly producer: Producer

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  }

  start(): Promise<void> {
    return this.producer.connect()
  }

  async place(order: Order): Promise<void> {
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key: order.customer, value: JSON.stringify(order) }],
    })
  }

  stop(): Promise<void> {
    return this.producer.disconnect()
  }
}

export class OrdersPerCustomer {
  readonly counts = new Map<string, number>()
  private readonly consumer: Consumer

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    groupId: string,
  ) {
    this.consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, heartbeatInterval: 500 })
  }

  async start(): Promise<void> {
    await this.consumer.connect()
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true })
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        const order = JSON.parse(message.value!.toString()) as Order
        this.counts.set(order.customer, (this.counts.get(order.customer) ?? 0) + 1)
      },
    })
  }

  stop(): Promise<void> {
    return this.consumer.disconnect()
  }
}

export function kafkaFor(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'orders-app', brokers, logLevel: logLevel.NOTHING })
}
