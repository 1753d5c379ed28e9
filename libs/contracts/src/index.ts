// @prasar/contracts: the event contracts between services (generated from proto/) and the
// rules for carrying them on Kafka (topics, event types, encoding).
export * from './gen/prasar/common/v1/common_pb';
export * from './gen/prasar/content/v1/snapshot_pb';
export * from './gen/prasar/content/v1/policy_pb';
export * from './gen/prasar/content/v1/events_pb';
export * from './gen/prasar/approval/v1/workflow_pb';
export * from './gen/prasar/approval/v1/events_pb';
export * from './gen/prasar/schedule/v1/hold_pb';
export * from './gen/prasar/schedule/v1/events_pb';
export * from './gen/prasar/publish/v1/attempt_pb';
export * from './gen/prasar/publish/v1/events_pb';
export * from './gen/prasar/engagement/v1/events_pb';
export * from './topics';
export * from './events';
