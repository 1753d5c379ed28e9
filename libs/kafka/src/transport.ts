import {
  Catch,
  type ArgumentsHost,
  type INestApplication,
  type INestMicroservice,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { CustomTransportStrategy, Server, BaseRpcContext } from '@nestjs/microservices';
import { lastValueFrom, throwError, type Observable } from 'rxjs';
import type { EntityManager } from 'typeorm';
import type { EventConsumer, EventHandler, InboundEvent } from './consumer';

/** What an event handler receives besides the payload: the event and its transaction. */
export class KafkaEventContext extends BaseRpcContext<[InboundEvent, EntityManager]> {
  get event(): InboundEvent {
    return this.args[0];
  }
  /** The transaction the handler must do its writes in (it also holds the inbox record). */
  get manager(): EntityManager {
    return this.args[1];
  }
}

/**
 * Nest transport strategy: routes each Kafka event to the `@EventPattern(<ce_type>)` handler of
 * the service, through an EventConsumer (inbox, retries, dead-letter topic, offsets after commit).
 */
export class KafkaEventTransport extends Server implements CustomTransportStrategy {
  private consumer?: EventConsumer;

  constructor(
    private readonly createConsumer: (
      handlerFor: (type: string) => EventHandler | undefined,
    ) => EventConsumer,
  ) {
    super();
  }

  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    this.consumer = this.createConsumer((type) => this.handlerFor(type));
    await this.consumer.start();
    callback();
  }

  async close(): Promise<void> {
    await this.consumer?.stop();
  }

  on(): void {
    throw new Error('KafkaEventTransport does not emit transport events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  /** Handlers by event type: Nest normalises a pattern on every lookup, too slow per message. */
  private readonly handlers = new Map<string, EventHandler | undefined>();

  private handlerFor(type: string): EventHandler | undefined {
    if (!this.handlers.has(type)) this.handlers.set(type, this.resolveHandler(type));
    return this.handlers.get(type);
  }

  private resolveHandler(type: string): EventHandler | undefined {
    const handler = this.getHandlerByPattern(type);
    if (!handler) return undefined;
    return async (event, em) => {
      const result = await handler(event.message, new KafkaEventContext([event, em]));
      await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
    };
  }
}

/**
 * Lets a handler's own error reach the transport unchanged (Nest's default RPC filter replaces it
 * with "Internal server error"), so retries log, and the dead-letter header records, the real cause.
 * Event controllers take it with `@UseFilters(PassThroughRpcFilter)`: a hybrid app's microservice
 * is initialised on connection, too early for global filters.
 */
@Catch()
export class PassThroughRpcFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    // Nest keeps one application config per container, so a hybrid app's filters can reach its
    // GraphQL resolvers too: there the error is rethrown untouched, for the subgraph to format.
    if (host.getType() !== 'rpc') throw exception;
    return throwError(() => exception);
  }
}

/** Attaches the service's Kafka transport to a Nest app: the one way services and their tests consume. */
export function connectEventTransport(app: INestApplication): INestMicroservice {
  return app.connectMicroservice({ strategy: app.get(KafkaEventTransport) }, { inheritAppConfig: true });
}
