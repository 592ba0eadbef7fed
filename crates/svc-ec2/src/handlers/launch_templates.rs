//! `CreateLaunchTemplate`, `CreateLaunchTemplateVersion`, `ModifyLaunchTemplate`,
//! `DeleteLaunchTemplate`, `DeleteLaunchTemplateVersions`, `DescribeLaunchTemplates` and
//! `DescribeLaunchTemplateVersions`: templates per (account, region) with `lt-` ids, unique
//! names, numbered versions (never reused), `$Latest` / `$Default`, a default version that
//! cannot be deleted, filters and paging, `ResolveAlias` for `resolve:ssm:` image ids. The
//! data itself is checked and rendered by `launch_templates`. See
//! <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html>.

use super::check_dry_run;
use crate::def_errors;
use crate::def_records::{TemplateRec, TemplateVersionRec};
use crate::defs::{DefChange, DefsState};
use crate::errors;
use crate::filters::{self, Parsed};
use crate::generated::*;
use crate::launch_templates::{self as lt, SSM_PREFIX};
use crate::state::{is_resource_id, Ec2};
use crate::tags;
use nimbus_core::{AwsError, RequestContext};
use std::sync::Arc;

fn check_name(name: &str) -> Result<(), AwsError> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "().-/_".contains(c);
    if name.len() < 3 || name.len() > 128 || !name.chars().all(ok) {
        return Err(AwsError::client(
            "InvalidLaunchTemplateName.MalformedException",
            "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'",
        ));
    }
    Ok(())
}

fn check_description(d: &Option<String>) -> Result<(), AwsError> {
    match d {
        Some(d) if d.chars().count() > 255 => Err(errors::invalid_parameter_value(
            "Version description must be at most 255 characters long.",
        )),
        _ => Ok(()),
    }
}

/// How a request names its template.
enum Target {
    Id(String),
    Name(String),
}

impl Target {
    fn from(id: Option<String>, name: Option<String>) -> Result<Self, AwsError> {
        match (id.filter(|s| !s.is_empty()), name.filter(|s| !s.is_empty())) {
            (Some(id), _) => {
                if !is_resource_id(&id, "lt-") {
                    return Err(def_errors::template_id_malformed(&id));
                }
                Ok(Target::Id(id))
            }
            (None, Some(n)) => Ok(Target::Name(n)),
            (None, None) => Err(errors::missing_parameter(
                "The request must contain the parameter launchTemplateName or launchTemplateId",
            )),
        }
    }

    fn find<'a>(&self, st: &'a DefsState, ctx: &RequestContext) -> Result<&'a Arc<TemplateRec>, AwsError> {
        let all = st.templates_of(ctx.account_id(), &ctx.region);
        match self {
            Target::Id(id) => all
                .and_then(|m| m.get(id))
                .ok_or_else(|| def_errors::template_id_not_found(id)),
            Target::Name(n) => all
                .and_then(|m| m.values().find(|t| &t.name == n))
                .ok_or_else(|| def_errors::template_name_not_found(n)),
        }
    }
}

fn latest(t: &TemplateRec) -> i64 {
    t.versions.last().map(|v| v.number).unwrap_or(t.default_version)
}

/// A version selector: a number, `$Latest` or `$Default`.
fn version_number(t: &TemplateRec, v: &str) -> Result<i64, AwsError> {
    let n = match v {
        "$Latest" => latest(t),
        "$Default" => t.default_version,
        other => other
            .parse::<i64>()
            .map_err(|_| def_errors::template_version_not_found(other, &t.template_id))?,
    };
    if t.versions.iter().any(|x| x.number == n) {
        Ok(n)
    } else {
        Err(def_errors::template_version_not_found(v, &t.template_id))
    }
}

fn render_template(t: &TemplateRec) -> LaunchTemplate {
    LaunchTemplate {
        launch_template_id: Some(t.template_id.clone()),
        launch_template_name: Some(t.name.clone()),
        create_time: Some(t.create_time),
        created_by: Some(t.created_by.clone()),
        default_version_number: Some(t.default_version),
        latest_version_number: Some(latest(t)),
        tags: tags::render(&t.tags),
        operator: None,
    }
}

fn render_version(t: &TemplateRec, v: &TemplateVersionRec, region: &str, resolve: bool) -> LaunchTemplateVersion {
    let image = v.data.image_id.clone().map(|i| {
        if resolve && i.starts_with(SSM_PREFIX) {
            lt::resolve_ssm(region, &i).unwrap_or(i)
        } else {
            i
        }
    });
    LaunchTemplateVersion {
        launch_template_id: Some(t.template_id.clone()),
        launch_template_name: Some(t.name.clone()),
        version_number: Some(v.number),
        version_description: v.description.clone(),
        create_time: Some(v.create_time),
        created_by: Some(v.created_by.clone()),
        default_version: Some(v.number == t.default_version),
        launch_template_data: Some(lt::render(&v.data, image)),
        operator: None,
    }
}

pub(super) async fn create(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateLaunchTemplateRequest,
) -> Result<CreateLaunchTemplateResult, AwsError> {
    check_name(&input.launch_template_name)?;
    check_description(&input.version_description)?;
    if input.operator.is_some() {
        return Err(AwsError::client(
            "UnsupportedOperation",
            "Nimbus launch templates do not support the parameter Operator yet.",
        ));
    }
    let tags = tags::from_specs(input.tag_specifications, "launch-template")?;
    let data = lt::from_request(&ctx.region, input.launch_template_data)?;
    check_dry_run(input.dry_run)?;
    let warning = lt::warnings(&data);
    let rec = TemplateRec {
        account: ctx.account_id().to_string(),
        region: ctx.region.clone(),
        template_id: ec2.ids.resource_id("lt"),
        name: input.launch_template_name,
        created_by: ctx.principal.arn.clone(),
        create_time: ctx.now,
        default_version: 1,
        latest_version: 1,
        tags,
        versions: vec![TemplateVersionRec {
            number: 1,
            description: input.version_description,
            created_by: ctx.principal.arn.clone(),
            create_time: ctx.now,
            data,
        }],
    };
    ec2.defs
        .mutate(|st| {
            let taken = st
                .templates_of(&rec.account, &rec.region)
                .is_some_and(|m| m.values().any(|t| t.name == rec.name));
            if taken {
                return Err(def_errors::template_name_exists());
            }
            let out = CreateLaunchTemplateResult {
                launch_template: Some(render_template(&rec)),
                warning,
            };
            Ok((
                DefChange {
                    put_templates: vec![rec],
                    ..Default::default()
                },
                out,
            ))
        })
        .await
}

pub(super) async fn create_version(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: CreateLaunchTemplateVersionRequest,
) -> Result<CreateLaunchTemplateVersionResult, AwsError> {
    let target = Target::from(input.launch_template_id, input.launch_template_name)?;
    check_description(&input.version_description)?;
    let data = lt::from_request(&ctx.region, input.launch_template_data)?;
    check_dry_run(input.dry_run)?;
    let resolve = input.resolve_alias == Some(true);
    ec2.defs
        .mutate(|st| {
            let mut t = (**target.find(st, ctx)?).clone();
            let data = match input.source_version.as_deref() {
                Some(src) => {
                    let n = version_number(&t, src)?;
                    let base = &t.versions.iter().find(|v| v.number == n).expect("checked").data;
                    lt::layered(base, data)
                }
                None => data,
            };
            let warning = lt::warnings(&data);
            t.latest_version += 1;
            let version = TemplateVersionRec {
                number: t.latest_version,
                description: input.version_description.clone(),
                created_by: ctx.principal.arn.clone(),
                create_time: ctx.now,
                data,
            };
            t.versions.push(version);
            let out = CreateLaunchTemplateVersionResult {
                launch_template_version: Some(render_version(
                    &t,
                    t.versions.last().expect("just pushed"),
                    &ctx.region,
                    resolve,
                )),
                warning,
            };
            Ok((
                DefChange {
                    put_templates: vec![t],
                    ..Default::default()
                },
                out,
            ))
        })
        .await
}

pub(super) async fn modify(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: ModifyLaunchTemplateRequest,
) -> Result<ModifyLaunchTemplateResult, AwsError> {
    let target = Target::from(input.launch_template_id, input.launch_template_name)?;
    check_dry_run(input.dry_run)?;
    ec2.defs
        .mutate(|st| {
            let mut t = (**target.find(st, ctx)?).clone();
            if let Some(v) = input.default_version.as_deref() {
                t.default_version = version_number(&t, v)?;
            }
            let out = ModifyLaunchTemplateResult {
                launch_template: Some(render_template(&t)),
            };
            Ok((
                DefChange {
                    put_templates: vec![t],
                    ..Default::default()
                },
                out,
            ))
        })
        .await
}

pub(super) async fn delete(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteLaunchTemplateRequest,
) -> Result<DeleteLaunchTemplateResult, AwsError> {
    let target = Target::from(input.launch_template_id, input.launch_template_name)?;
    check_dry_run(input.dry_run)?;
    ec2.defs
        .mutate(|st| {
            let t = target.find(st, ctx)?;
            let out = DeleteLaunchTemplateResult {
                launch_template: Some(render_template(t)),
            };
            Ok((
                DefChange {
                    delete_templates: vec![(t.account.clone(), t.region.clone(), t.template_id.clone())],
                    ..Default::default()
                },
                out,
            ))
        })
        .await
}

pub(super) async fn delete_versions(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DeleteLaunchTemplateVersionsRequest,
) -> Result<DeleteLaunchTemplateVersionsResult, AwsError> {
    let target = Target::from(input.launch_template_id, input.launch_template_name)?;
    if input.versions.is_empty() {
        return Err(errors::missing_parameter(
            "The request must contain the parameter LaunchTemplateVersion",
        ));
    }
    check_dry_run(input.dry_run)?;
    ec2.defs
        .mutate(|st| {
            let mut t = (**target.find(st, ctx)?).clone();
            let mut ok = Vec::new();
            let mut failed = Vec::new();
            for v in &input.versions {
                let fail = |code: &str, message: String| DeleteLaunchTemplateVersionsResponseErrorItem {
                    launch_template_id: Some(t.template_id.clone()),
                    launch_template_name: Some(t.name.clone()),
                    version_number: v.parse().ok(),
                    response_error: Some(ResponseError {
                        code: Some(code.into()),
                        message: Some(message),
                    }),
                };
                match v.parse::<i64>() {
                    Ok(n) if n == t.default_version => failed.push(fail(
                        "unexpectedError",
                        "Cannot delete the default version of a launch template.".into(),
                    )),
                    Ok(n) if t.versions.iter().any(|x| x.number == n) => {
                        t.versions.retain(|x| x.number != n);
                        ok.push(DeleteLaunchTemplateVersionsResponseSuccessItem {
                            launch_template_id: Some(t.template_id.clone()),
                            launch_template_name: Some(t.name.clone()),
                            version_number: Some(n),
                        });
                    }
                    _ => failed.push(fail(
                        "launchTemplateVersionDoesNotExist",
                        format!("The specified launch template version, {v}, does not exist."),
                    )),
                }
            }
            let out = DeleteLaunchTemplateVersionsResult {
                successfully_deleted_launch_template_versions: Some(ok),
                unsuccessfully_deleted_launch_template_versions: Some(failed),
            };
            Ok((
                DefChange {
                    put_templates: vec![t],
                    ..Default::default()
                },
                out,
            ))
        })
        .await
}

fn template_matches(t: &TemplateRec, f: &Parsed) -> bool {
    if let Some(m) = f.match_tags(&t.tags) {
        return m;
    }
    match f.name.as_str() {
        "launch-template-name" => f.matches(&t.name),
        "create-time" => f.matches(&t.create_time.to_iso8601()),
        _ => false,
    }
}

pub(super) async fn describe(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeLaunchTemplatesRequest,
) -> Result<DescribeLaunchTemplatesResult, AwsError> {
    let filters = filters::parse(input.filters, &["create-time", "launch-template-name"], true)?;
    filters::check_max_results(input.max_results, 1, 200)?;
    check_dry_run(input.dry_run)?;
    let ids = input.launch_template_ids.unwrap_or_default();
    let names = input.launch_template_names.unwrap_or_default();
    for id in &ids {
        if !is_resource_id(id, "lt-") {
            return Err(def_errors::template_id_malformed(id));
        }
    }
    let picked = ec2.defs.read(|st| -> Result<Vec<Arc<TemplateRec>>, AwsError> {
        let empty = Default::default();
        let all = st.templates_of(ctx.account_id(), &ctx.region).unwrap_or(&empty);
        for id in &ids {
            if !all.contains_key(id) {
                return Err(def_errors::template_id_not_found(id));
            }
        }
        for n in &names {
            if !all.values().any(|t| &t.name == n) {
                return Err(AwsError::client(
                    "InvalidLaunchTemplateName.NotFoundException",
                    "At least one of the launch templates specified in the request does not exist.",
                ));
            }
        }
        Ok(all
            .values()
            .filter(|t| ids.is_empty() && names.is_empty() || ids.contains(&t.template_id) || names.contains(&t.name))
            .filter(|t| filters.iter().all(|f| template_matches(t, f)))
            .cloned()
            .collect())
    })?;
    let (page, next_token) = filters::paginate(
        picked,
        |t| t.template_id.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeLaunchTemplatesResult {
        launch_templates: Some(page.iter().map(|t| render_template(t)).collect()),
        next_token,
    })
}

const VERSION_FILTERS: &[&str] = &[
    "create-time",
    "ebs-optimized",
    "iam-instance-profile",
    "image-id",
    "instance-type",
    "is-default-version",
    "kernel-id",
    "ram-disk-id",
    "http-endpoint",
    "http-protocol-ipv4",
    "host-resource-group-arn",
    "license-configuration-arn",
    "network-card-index",
];

fn version_matches(t: &TemplateRec, v: &TemplateVersionRec, f: &Parsed) -> bool {
    let d = &v.data;
    let b = |x: bool| if x { "true" } else { "false" };
    match f.name.as_str() {
        "create-time" => f.matches(&v.create_time.to_iso8601()),
        "ebs-optimized" => d.ebs_optimized.is_some_and(|e| f.matches(b(e))),
        "iam-instance-profile" => [&d.iam_instance_profile_arn, &d.iam_instance_profile_name]
            .iter()
            .any(|p| p.as_deref().is_some_and(|p| f.matches(p))),
        "image-id" => d.image_id.as_deref().is_some_and(|i| f.matches(i)),
        "instance-type" => d.instance_type.as_deref().is_some_and(|i| f.matches(i)),
        "is-default-version" => f.matches(b(v.number == t.default_version)),
        "http-endpoint" => d
            .metadata
            .as_ref()
            .and_then(|m| m.http_endpoint.as_deref())
            .is_some_and(|e| f.matches(e)),
        _ => false,
    }
}

pub(super) async fn describe_versions(
    ec2: &Ec2,
    ctx: &RequestContext,
    input: DescribeLaunchTemplateVersionsRequest,
) -> Result<DescribeLaunchTemplateVersionsResult, AwsError> {
    let filters = filters::parse(input.filters, VERSION_FILTERS, false)?;
    filters::check_max_results(input.max_results, 1, 200)?;
    check_dry_run(input.dry_run)?;
    let resolve = input.resolve_alias == Some(true);
    let selectors = input.versions.unwrap_or_default();
    let parse_bound = |s: &Option<String>| -> Result<Option<i64>, AwsError> {
        s.as_deref()
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    errors::invalid_parameter_value(format!("Invalid version bound: {v}"))
                })
            })
            .transpose()
    };
    let (min, max) = (parse_bound(&input.min_version)?, parse_bound(&input.max_version)?);
    let target = match (&input.launch_template_id, &input.launch_template_name) {
        (None, None) => {
            // Every template's $Latest and/or $Default versions, and only those.
            if selectors.is_empty() || selectors.iter().any(|s| s != "$Latest" && s != "$Default") {
                return Err(errors::missing_parameter(
                    "The request must contain the parameter launchTemplateName or launchTemplateId",
                ));
            }
            None
        }
        _ => Some(Target::from(input.launch_template_id.clone(), input.launch_template_name.clone())?),
    };
    let rows = ec2.defs.read(|st| -> Result<Vec<(String, LaunchTemplateVersion)>, AwsError> {
        let templates: Vec<&Arc<TemplateRec>> = match &target {
            Some(t) => vec![t.find(st, ctx)?],
            None => st
                .templates_of(ctx.account_id(), &ctx.region)
                .map(|m| m.values().collect())
                .unwrap_or_default(),
        };
        let mut rows = Vec::new();
        for t in templates {
            let mut wanted: Option<Vec<i64>> = None;
            if !selectors.is_empty() {
                let mut nums = Vec::new();
                for s in &selectors {
                    nums.push(version_number(t, s)?);
                }
                wanted = Some(nums);
            }
            // Newest first, as EC2 lists them.
            for v in t.versions.iter().rev() {
                let keep = wanted.as_ref().is_none_or(|w| w.contains(&v.number))
                    && min.is_none_or(|m| v.number >= m)
                    && max.is_none_or(|m| v.number <= m)
                    && filters.iter().all(|f| version_matches(t, v, f));
                if keep {
                    let key = format!("{}/{:020}", t.template_id, i64::MAX - v.number);
                    rows.push((key, render_version(t, v, &ctx.region, resolve)));
                }
            }
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(rows)
    })?;
    let (page, next_token) = filters::paginate(
        rows,
        |r| r.0.as_str(),
        input.max_results,
        input.next_token.as_deref(),
    )?;
    Ok(DescribeLaunchTemplateVersionsResult {
        launch_template_versions: Some(page.into_iter().map(|r| r.1).collect()),
        next_token,
    })
}

impl Ec2 {
    /// The data of version `version` (a number, `$Latest` or `$Default`; `None` means the
    /// default) of the template `template` (an `lt-` id or a name) of (account, region), with
    /// a `resolve:ssm:` image id resolved to its AMI: what RunInstances and Auto Scaling
    /// launch from. Errors are EC2's for a missing template or version.
    pub fn launch_template_data(
        &self,
        account: &str,
        region: &str,
        template: &str,
        version: Option<&str>,
    ) -> Result<(String, i64, crate::def_records::LaunchData), AwsError> {
        self.defs.read(|st| {
            let all = st.templates_of(account, region);
            let t = if template.starts_with("lt-") {
                all.and_then(|m| m.get(template))
                    .ok_or_else(|| def_errors::template_id_not_found(template))?
            } else {
                all.and_then(|m| m.values().find(|t| t.name == template))
                    .ok_or_else(|| def_errors::template_name_not_found(template))?
            };
            let n = version_number(t, version.unwrap_or("$Default"))?;
            let mut data = t
                .versions
                .iter()
                .find(|v| v.number == n)
                .expect("version_number checked it")
                .data
                .clone();
            if let Some(i) = data.image_id.as_deref().filter(|i| i.starts_with(SSM_PREFIX)) {
                data.image_id = Some(lt::resolve_ssm(region, i)?);
            }
            Ok((t.template_id.clone(), n, data))
        })
    }
}
