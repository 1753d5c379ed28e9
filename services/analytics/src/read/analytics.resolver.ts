import { Args, Parent, Query, ResolveField, ResolveReference, Resolver } from '@nestjs/graphql';
import type { Principal } from '@prasar/auth';
import { Caller } from '@prasar/graphql';
import {
  AnalyticsService,
  type EngagementTotals,
  type Scorecard,
  type StateOverview,
} from './analytics.service';

/** Analytics' contribution to the Department entity: its scorecard. */
@Resolver('Department')
export class DepartmentScorecardResolver {
  constructor(private readonly analytics: AnalyticsService) {}

  @ResolveReference()
  resolveReference(ref: { id: string }): { id: string } {
    return { id: ref.id };
  }

  @ResolveField('scorecard')
  scorecard(
    @Caller() caller: Principal,
    @Parent() department: { id: string },
    @Args('from') from: Date,
    @Args('to') to: Date,
  ): Promise<Scorecard> {
    return this.analytics.scorecard(caller, department.id, from, to);
  }
}

@Resolver('DepartmentScorecard')
export class ScorecardResolver {
  constructor(private readonly analytics: AnalyticsService) {}

  @ResolveField('topPosts')
  topPosts(@Caller() caller: Principal, @Parent() s: Scorecard, @Args('limit') limit?: number | null) {
    return this.analytics.topPosts(caller, s, limit ?? 5);
  }
}

@Resolver('StateOverview')
export class StateOverviewResolver {
  constructor(private readonly analytics: AnalyticsService) {}

  @Query('stateOverview')
  stateOverview(@Caller() caller: Principal, @Args('date') date: string): Promise<StateOverview> {
    return this.analytics.stateOverview(caller, date);
  }
}

/** Analytics' contribution to intake's Content entity. */
@Resolver('Content')
export class ContentMetricsResolver {
  constructor(private readonly analytics: AnalyticsService) {}

  @ResolveReference()
  resolveReference(ref: { id: string }): { id: string } {
    return { id: ref.id };
  }

  @ResolveField('metrics')
  metrics(@Caller() caller: Principal, @Parent() c: { id: string }): Promise<EngagementTotals | null> {
    return this.analytics.contentMetrics(caller, c.id);
  }
}

/** Analytics' contribution to the scheduler's Publication entity. */
@Resolver('Publication')
export class PublicationMetricsResolver {
  constructor(private readonly analytics: AnalyticsService) {}

  @ResolveReference()
  resolveReference(ref: { id: string }): { id: string } {
    return { id: ref.id };
  }

  @ResolveField('metrics')
  metrics(@Caller() caller: Principal, @Parent() p: { id: string }): Promise<EngagementTotals | null> {
    return this.analytics.publicationMetrics(caller, p.id);
  }
}
