import { hostname } from 'node:os';
import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Kafka, Producer } from 'kafkajs';
import type { DescMessage } from '@bufbuild/protobuf';
import { DataSource, type EntityManager } from 'typeorm';
import { createLogger } from '@prasar/telemetry';
import { createIdempotentProducer, createKafka } from './client';
import { EventConsumer, type ConsumerOptions } from './consumer';
import { enqueueEvent, type OutgoingEvent } from './outbox';
import { OutboxRelay, type RelayOptions } from './relay';
import { KafkaEventTransport } from './transport';

export interface EventingOptions {
  /** The producing service, used for ce_source and the client id. */
  service: string;
  brokers: string[];
  /** What the service consumes, if anything. */
  consume?: ConsumerOptions;
  relay?: RelayOptions;
}

export const EVENTING_OPTIONS = Symbol('EVENTING_OPTIONS');
export const KAFKA = Symbol('KAFKA');

/** Owns the service's Kafka producer and its outbox relay for the life of the application. */
@Injectable()
export class EventRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly producer: Producer;
  readonly relay: OutboxRelay;

  constructor(
    @Inject(KAFKA) readonly kafka: Kafka,
    ds: DataSource,
  ) {
    this.producer = createIdempotentProducer(kafka);
    this.relay = new OutboxRelay(ds, this.producer, createLogger('outbox-relay'));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.connect();
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
    await this.producer.disconnect();
  }
}

/** How a service emits an event: into its outbox, in the transaction of the change it describes. */
@Injectable()
export class EventPublisher {
  private readonly source: string;

  constructor(@Inject(EVENTING_OPTIONS) options: EventingOptions) {
    this.source = `/prasar/${options.service}`;
  }

  publish<Desc extends DescMessage>(em: EntityManager, event: OutgoingEvent<Desc>): Promise<string> {
    return enqueueEvent(em, this.source, event);
  }
}

/** Kafka for a Nest service: producer + outbox relay, and the consumer transport when it consumes. */
@Global()
@Module({})
export class EventingModule {
  static forRoot(options: EventingOptions): DynamicModule {
    return {
      module: EventingModule,
      providers: [
        { provide: EVENTING_OPTIONS, useValue: options },
        {
          provide: KAFKA,
          useFactory: () =>
            createKafka(
              // The process in the client id (and so in its group member ids): which replica
              // holds which partitions is visible in the group's description.
              `prasar-${options.service}-${hostname()}-${process.pid}`,
              options.brokers,
              createLogger('kafka'),
            ),
        },
        EventRuntime,
        EventPublisher,
        {
          provide: KafkaEventTransport,
          inject: [EventRuntime, DataSource],
          useFactory: (runtime: EventRuntime, ds: DataSource) =>
            new KafkaEventTransport((handlerFor) => {
              if (!options.consume) throw new Error(`${options.service} has no consumer configuration`);
              return new EventConsumer(
                runtime.kafka,
                runtime.producer,
                ds,
                createLogger('consumer'),
                options.consume,
                handlerFor,
              );
            }),
        },
      ],
      exports: [EventPublisher, EventRuntime, KafkaEventTransport, KAFKA],
    };
  }
}
