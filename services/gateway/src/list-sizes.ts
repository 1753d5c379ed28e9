// How long each list of the public schema can really be, for the cost estimate (limits.ts). A list
// with a slicing argument (`first`, `last`, `limit`) is sized by it; every other list that returns
// objects is named here with its largest possible length, which the owning service guarantees (by
// its input rules, or by refusing more). The calendar is sliced by `first` (default 500, at most 5,000).
// limits.spec.ts fails when the supergraph gains a list of objects that is in neither group.

export const LIST_MAXIMA: Readonly<Record<string, number>> = {
  // Per content: two languages, X/Instagram media limits, one variant per target account.
  'Content.body': 2,
  'Content.media': 10,
  'Content.variants': 20,
  'Content.publications': 60,
  // A content's audit entries as the API shows them: the latest 500 (the export has them all).
  'Content.history': 500,
  'MediaAsset.people': 20,
  'PlatformVariant.violations': 20,
  'Department.accounts': 20,
  // Approval workflows: a handful of stages, each with its decisions.
  'Approval.stages': 10,
  'ApprovalStage.decisions': 10,
  'Query.workflow': 10,
  'Mutation.setWorkflow': 10,
  'Mutation.schedule': 20,
  'Query.validateContent': 20,
  // A state's departments (the IT cell sees them all; intake answers at most 200).
  'Query.departments': 200,
  'StateOverview.departments': 200,
  'StateOverview.missingAchievement': 200,
  'Query.integrationClients': 500,
  'DepartmentScorecard.publishedByKind': 7,
  'DepartmentScorecard.publishedByPlatform': 4,
  'Query.blackouts': 500,
  // A day's audit verification lists at most its first 100 broken chains.
  'AuditDayVerification.broken': 100,
};
