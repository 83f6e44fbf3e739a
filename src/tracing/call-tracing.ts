import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Spans of one gateway: a span per JSON-RPC call, with children for store calls and verification. */
export interface CallTracing {
  /**
   * Runs one call as a span named after its method (kind SERVER). `outcome` names the result once
   * it is known: 'ok' or the error reason. Only the method, the scope id and the outcome are
   * recorded: never keys, usernames, headers or payloads.
   */
  call<T>(method: string, scopeId: string | undefined, work: () => Promise<T>, outcome: (result: { ok: true } | { ok: false; error: unknown }) => string): Promise<T>;
  /** Runs `work` as a child span of the current call's span; just runs it outside a call or with tracing off. */
  child<T>(name: string, work: () => T): T;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

export interface TracingSettings {
  /** Where OTLP/HTTP trace exports go (the traces URL itself, …/v1/traces); undefined: tracing off. */
  tracesEndpoint: string | undefined;
  serviceName: string;
}

/** Tracing off: every call and child runs as it is, at no cost. */
export const noTracing: CallTracing = {
  call: (_method, _scopeId, work) => work(),
  child: (_name, work) => work(),
  shutdown: async () => {},
};

/**
 * This gateway's tracing, from the standard OTel variables (see config): off unless an endpoint is
 * set or `spanProcessor` is given (tests). The tracer provider belongs to the gateway and is not
 * registered globally, so two gateways in one process (and any other OTel user) stay apart; the
 * current call's span travels in an AsyncLocalStorage of this gateway, which exists only when on.
 */
export function createCallTracing(settings: TracingSettings, options: { spanProcessor?: SpanProcessor } = {}): CallTracing {
  const processor = options.spanProcessor ?? (settings.tracesEndpoint === undefined ? undefined : new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesEndpoint })));
  if (processor === undefined) return noTracing;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: [processor],
  });
  const tracer: Tracer = provider.getTracer('passkey-gateway');
  const current = new AsyncLocalStorage<Span>();

  const ended = <T>(span: Span, result: T, onEnd: (error?: unknown) => void): T => {
    if (!(result instanceof Promise)) {
      onEnd();
      return result;
    }
    return result.then(
      (value: unknown) => {
        onEnd();
        return value;
      },
      (error: unknown) => {
        onEnd(error);
        throw error;
      },
    ) as T;
  };

  return {
    call(method, scopeId, work, outcome) {
      const span = tracer.startSpan(method, {
        kind: SpanKind.SERVER,
        attributes: { 'rpc.system': 'jsonrpc', 'rpc.method': method, ...(scopeId === undefined ? {} : { 'pkgw.scope_id': scopeId }) },
      }, ROOT_CONTEXT);
      return current.run(span, () =>
        work().then(
          (value) => {
            span.setAttribute('pkgw.outcome', outcome({ ok: true }));
            span.end();
            return value;
          },
          (error: unknown) => {
            const reason = outcome({ ok: false, error });
            span.setAttribute('pkgw.outcome', reason);
            span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
            span.end();
            throw error;
          },
        ),
      );
    },
    child(name, work) {
      const parent = current.getStore();
      if (parent === undefined) return work();
      const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL }, trace.setSpan(ROOT_CONTEXT, parent));
      let result: ReturnType<typeof work>;
      try {
        result = current.run(span, work);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        throw error;
      }
      return ended(span, result, (error) => {
        if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
    },
    shutdown: () => provider.shutdown(),
  };
}
