import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import type { Principal } from '@prasar/auth';
import { Caller } from '@prasar/graphql';
import { IT_CELL, NotificationsService, type NotificationView } from './notifications.service';

/** The console's notification list and the contact addresses mail goes to. */
@Resolver('Notification')
export class NotificationsResolver {
  constructor(private readonly notifications: NotificationsService) {}

  @Query('notifications')
  list(@Caller() caller: Principal, @Args('first') first: number, @Args('after') after?: string | null) {
    return this.notifications.list(caller, first ?? 20, after);
  }

  @Mutation('markNotificationRead')
  markRead(@Caller() caller: Principal, @Args('id') id: string) {
    return this.notifications.markRead(caller, id);
  }

  @Query('notificationContacts')
  async contacts(@Caller() caller: Principal, @Args('departmentId') departmentId?: string | null) {
    const id = departmentId ?? IT_CELL;
    return { departmentId: id, emails: await this.notifications.contacts(caller, id) };
  }

  @Mutation('setDepartmentContacts')
  async setDepartmentContacts(
    @Caller() caller: Principal,
    @Args('departmentId') departmentId: string,
    @Args('emails') emails: string[],
  ) {
    return { departmentId, emails: await this.notifications.setContacts(caller, departmentId, emails) };
  }

  @Mutation('setItCellContacts')
  async setItCellContacts(@Caller() caller: Principal, @Args('emails') emails: string[]) {
    return { departmentId: IT_CELL, emails: await this.notifications.setContacts(caller, IT_CELL, emails) };
  }

  @ResolveField('department')
  department(@Parent() n: NotificationView) {
    return n.departmentId === IT_CELL ? null : { id: n.departmentId };
  }

  @ResolveField('read')
  read(@Parent() n: NotificationView) {
    return n.readAt !== null;
  }
}

@Resolver('NotificationContacts')
export class NotificationContactsResolver {
  @ResolveField('department')
  department(@Parent() c: { departmentId: string }) {
    return c.departmentId === IT_CELL ? null : { id: c.departmentId };
  }
}
