/** Broker and topic configuration: Kafka's names, types, defaults, units and validation. */
export * from './config-def.js'
export * from './properties.js'
export * from './metadata-version.js'
export * from './definitions.js'
export * from './listeners.js'
export * from './broker-config.js'
export * from './topic-config.js'
