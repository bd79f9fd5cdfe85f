import type { INodePropertyOptions } from 'n8n-workflow';

// The record types 4me's Export API accepts (developer.4me.com/v1/export, 2026).
export const EXPORT_TYPES = [
	'affected_slas', 'agile_board_columns', 'agile_boards', 'app_offering_automation_rules', 'app_offering_scopes',
	'app_offerings', 'calendars', 'ci_relations', 'cis', 'closure_codes', 'contracts', 'custom_collection_elements',
	'custom_collections', 'custom_views', 'effort_classes', 'email_templates', 'flsas', 'generic_ci_automation_rules',
	'generic_project_task_automation_rules', 'generic_request_automation_rules', 'generic_risk_automation_rules',
	'generic_task_automation_rules', 'generic_workflow_automation_rules', 'holidays', 'invoices', 'knowledge_articles',
	'missing_translations', 'notes', 'organizations', 'organizations_contact_details', 'organizations_time_allocations',
	'out_of_office_periods', 'outdated_translations', 'pdf_designs', 'people', 'people_contact_details', 'people_roles',
	'permission_events', 'problems', 'product_backlog_items', 'product_backlogs', 'product_categories', 'products',
	'project_categories', 'project_risk_levels', 'project_task_assignments', 'project_task_template_assignments',
	'project_task_template_automation_rules', 'project_task_templates', 'project_tasks',
	'project_template_automation_rules', 'project_templates', 'projects', 'releases', 'request_template_automation_rules',
	'request_templates', 'requests', 'risk_severities', 'risks', 'satisfactions', 'scim_group_automation_rules',
	'scim_user_automation_rules', 'scrum_workspaces', 'service_categories', 'service_instances',
	'service_offering_activity_rates', 'service_offering_effort_class_rates', 'service_offering_ssr_rates',
	'service_offerings', 'services', 'shop_article_categories', 'shop_articles', 'shop_order_lines', 'short_urls', 'sites',
	'skill_pools', 'sla_coverage_groups', 'sla_financial_details', 'sla_financial_details_activities',
	'sla_financial_details_charges', 'sla_notification_rules', 'sla_notification_schemes', 'slas', 'sprint_backlog_items',
	'sprints', 'standard_service_requests', 'survey_answers', 'survey_questions', 'survey_responses', 'surveys',
	'system_logs', 'task_approvals', 'task_template_approvals', 'task_template_automation_rules', 'task_templates', 'tasks',
	'teams', 'time_allocations', 'time_entries', 'timesheet_settings', 'translations', 'trusted_organizations',
	'ui_extensions', 'workflow_template_automation_rules', 'workflow_templates', 'workflows',
];

const ACRONYMS: Record<string, string> = {
	sla: 'SLA', slas: 'SLAs', ci: 'CI', cis: 'CIs', flsas: 'FLSAs', pdf: 'PDF', scim: 'SCIM', ui: 'UI', ssr: 'SSR', urls: 'URLs',
};

export function recordTypeLabel(type: string): string {
	return type
		.split('_')
		.map((word) => ACRONYMS[word] ?? word.charAt(0).toUpperCase() + word.slice(1))
		.join(' ');
}

export const exportTypeOptions: INodePropertyOptions[] = EXPORT_TYPES.map((type) => ({
	name: recordTypeLabel(type),
	value: type,
}));

/**
 * The record type a zip entry holds. 4me names entries like `20211108-sites-123.csv`; types
 * can contain each other (`people`, `people_contact_details`), so the longest match wins.
 */
export function recordTypeOfEntry(entryName: string, candidates: string[]): string | undefined {
	const base = entryName.split('/').pop() ?? entryName;
	const longestFirst = [...candidates].sort((a, b) => b.length - a.length);
	return longestFirst.find((type) => new RegExp(`(^|[-. ])${type}([-. ]|$)`).test(base));
}

// The record types 4me's Import API accepts (developer.4me.com/v1/import, 2026).
export const IMPORT_TYPES = [
	'calendars', 'cis', 'ci_relations', 'closure_codes', 'contracts', 'custom_collections', 'custom_collection_elements',
	'custom_views', 'email_templates', 'first_line_support_agreements', 'holidays', 'invoices', 'knowledge_articles', 'notes',
	'organizations', 'organizations_contact_details', 'organizations_time_allocations', 'out_of_office_periods', 'pdf_designs',
	'people', 'people_contact_details', 'people_roles', 'problems', 'product_categories', 'products', 'projects',
	'project_categories', 'project_tasks', 'project_task_assignments', 'project_task_templates',
	'project_task_template_assignments', 'project_templates', 'releases', 'requests', 'request_templates', 'rfc_types', 'risks',
	'risk_severities', 'scrum_workspaces', 'services', 'service_categories', 'service_instances', 'service_offerings',
	'service_offering_rfc_type_activity_rates', 'shop_articles', 'shop_article_categories', 'shop_order_lines', 'short_urls',
	'sites', 'skill_pools', 'slas', 'sla_coverage_groups', 'sla_notification_schemes', 'sla_notification_rules',
	'slas_financial_details_rfc_type_activities', 'sprints', 'sprint_backlog_items', 'standard_service_requests', 'surveys',
	'survey_questions', 'survey_responses', 'survey_answers', 'tasks', 'task_approvals', 'task_templates',
	'task_template_approvals', 'teams', 'timesheet_settings', 'time_allocations', 'time_entries', 'trusted_organizations',
	'ui_extensions', 'waiting_for_customer_follow_ups', 'waiting_for_customer_rules', 'workflow_templates', 'workflow_types',
	'workflows',
];

export const importTypeOptions: INodePropertyOptions[] = IMPORT_TYPES.map((type) => ({
	name: recordTypeLabel(type),
	value: type,
}));
