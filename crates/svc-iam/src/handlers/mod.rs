//! The generated `Handlers` trait implemented for [`Iam`]: one thin method per operation,
//! delegating to the module that owns the resource (users, groups, roles, managed
//! policies, attachments, inline policies, access keys, MFA devices, passwords and login
//! profiles, instance profiles, the credential report, Access Advisor, SSH public keys, OIDC providers, server and signing certificates); `common` holds what they share. Nothing here validates or stores anything itself.

mod access_advisor;
mod access_keys;
mod account;
mod attachments;
mod authorization_details;
mod common;
mod groups;
mod inline;
mod instance_profiles;
mod mfa;
mod oidc;
mod passwords;
mod policies;
mod reports;
mod roles;
mod server_certs;
mod service_linked;
mod signing_certs;
mod simulate;
mod ssh_keys;
mod tags;
mod users;

use crate::generated::*;
use crate::state::Iam;
use common::Kind;
use nimbus_core::{AwsError, RequestContext};

impl Handlers for Iam {
    async fn upload_signing_certificate(
        &self,
        ctx: &RequestContext,
        input: UploadSigningCertificateRequest,
    ) -> Result<UploadSigningCertificateResponse, AwsError> {
        signing_certs::upload(self, ctx, input).await
    }

    async fn list_signing_certificates(
        &self,
        ctx: &RequestContext,
        input: ListSigningCertificatesRequest,
    ) -> Result<ListSigningCertificatesResponse, AwsError> {
        signing_certs::list(self, ctx, input).await
    }

    async fn update_signing_certificate(
        &self,
        ctx: &RequestContext,
        input: UpdateSigningCertificateRequest,
    ) -> Result<(), AwsError> {
        signing_certs::update(self, ctx, input).await
    }

    async fn delete_signing_certificate(
        &self,
        ctx: &RequestContext,
        input: DeleteSigningCertificateRequest,
    ) -> Result<(), AwsError> {
        signing_certs::delete(self, ctx, input).await
    }

    async fn upload_server_certificate(
        &self,
        ctx: &RequestContext,
        input: UploadServerCertificateRequest,
    ) -> Result<UploadServerCertificateResponse, AwsError> {
        server_certs::upload(self, ctx, input).await
    }

    async fn get_server_certificate(
        &self,
        ctx: &RequestContext,
        input: GetServerCertificateRequest,
    ) -> Result<GetServerCertificateResponse, AwsError> {
        server_certs::get(self, ctx, input).await
    }

    async fn list_server_certificates(
        &self,
        ctx: &RequestContext,
        input: ListServerCertificatesRequest,
    ) -> Result<ListServerCertificatesResponse, AwsError> {
        server_certs::list(self, ctx, input).await
    }

    async fn update_server_certificate(
        &self,
        ctx: &RequestContext,
        input: UpdateServerCertificateRequest,
    ) -> Result<(), AwsError> {
        server_certs::update(self, ctx, input).await
    }

    async fn delete_server_certificate(
        &self,
        ctx: &RequestContext,
        input: DeleteServerCertificateRequest,
    ) -> Result<(), AwsError> {
        server_certs::delete(self, ctx, input).await
    }

    async fn tag_server_certificate(
        &self,
        ctx: &RequestContext,
        input: TagServerCertificateRequest,
    ) -> Result<(), AwsError> {
        server_certs::tag(self, ctx, input).await
    }

    async fn untag_server_certificate(
        &self,
        ctx: &RequestContext,
        input: UntagServerCertificateRequest,
    ) -> Result<(), AwsError> {
        server_certs::untag(self, ctx, input).await
    }

    async fn list_server_certificate_tags(
        &self,
        ctx: &RequestContext,
        input: ListServerCertificateTagsRequest,
    ) -> Result<ListServerCertificateTagsResponse, AwsError> {
        server_certs::list_tags(self, ctx, input).await
    }

    async fn tag_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: TagOpenIDConnectProviderRequest,
    ) -> Result<(), AwsError> {
        oidc::tag_provider(self, ctx, input).await
    }

    async fn untag_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: UntagOpenIDConnectProviderRequest,
    ) -> Result<(), AwsError> {
        oidc::untag_provider(self, ctx, input).await
    }

    async fn list_open_id_connect_provider_tags(
        &self,
        ctx: &RequestContext,
        input: ListOpenIDConnectProviderTagsRequest,
    ) -> Result<ListOpenIDConnectProviderTagsResponse, AwsError> {
        oidc::list_provider_tags(self, ctx, input).await
    }

    async fn create_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: CreateOpenIDConnectProviderRequest,
    ) -> Result<CreateOpenIDConnectProviderResponse, AwsError> {
        oidc::create_open_id_connect_provider(self, ctx, input).await
    }

    async fn get_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: GetOpenIDConnectProviderRequest,
    ) -> Result<GetOpenIDConnectProviderResponse, AwsError> {
        oidc::get_open_id_connect_provider(self, ctx, input).await
    }

    async fn list_open_id_connect_providers(
        &self,
        ctx: &RequestContext,
        _input: ListOpenIDConnectProvidersRequest,
    ) -> Result<ListOpenIDConnectProvidersResponse, AwsError> {
        oidc::list_open_id_connect_providers(self, ctx).await
    }

    async fn delete_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: DeleteOpenIDConnectProviderRequest,
    ) -> Result<(), AwsError> {
        oidc::delete_open_id_connect_provider(self, ctx, input).await
    }

    async fn add_client_id_to_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: AddClientIDToOpenIDConnectProviderRequest,
    ) -> Result<(), AwsError> {
        oidc::add_client_id(self, ctx, input).await
    }

    async fn remove_client_id_from_open_id_connect_provider(
        &self,
        ctx: &RequestContext,
        input: RemoveClientIDFromOpenIDConnectProviderRequest,
    ) -> Result<(), AwsError> {
        oidc::remove_client_id(self, ctx, input).await
    }

    async fn update_open_id_connect_provider_thumbprint(
        &self,
        ctx: &RequestContext,
        input: UpdateOpenIDConnectProviderThumbprintRequest,
    ) -> Result<(), AwsError> {
        oidc::update_thumbprint(self, ctx, input).await
    }

    async fn upload_ssh_public_key(
        &self,
        ctx: &RequestContext,
        input: UploadSSHPublicKeyRequest,
    ) -> Result<UploadSSHPublicKeyResponse, AwsError> {
        ssh_keys::upload_ssh_public_key(self, ctx, input).await
    }

    async fn get_ssh_public_key(
        &self,
        ctx: &RequestContext,
        input: GetSSHPublicKeyRequest,
    ) -> Result<GetSSHPublicKeyResponse, AwsError> {
        ssh_keys::get_ssh_public_key(self, ctx, input).await
    }

    async fn list_ssh_public_keys(
        &self,
        ctx: &RequestContext,
        input: ListSSHPublicKeysRequest,
    ) -> Result<ListSSHPublicKeysResponse, AwsError> {
        ssh_keys::list_ssh_public_keys(self, ctx, input).await
    }

    async fn update_ssh_public_key(
        &self,
        ctx: &RequestContext,
        input: UpdateSSHPublicKeyRequest,
    ) -> Result<(), AwsError> {
        ssh_keys::update_ssh_public_key(self, ctx, input).await
    }

    async fn delete_ssh_public_key(
        &self,
        ctx: &RequestContext,
        input: DeleteSSHPublicKeyRequest,
    ) -> Result<(), AwsError> {
        ssh_keys::delete_ssh_public_key(self, ctx, input).await
    }

    async fn generate_service_last_accessed_details(
        &self,
        ctx: &RequestContext,
        input: GenerateServiceLastAccessedDetailsRequest,
    ) -> Result<GenerateServiceLastAccessedDetailsResponse, AwsError> {
        access_advisor::generate_service_last_accessed_details(self, ctx, input).await
    }

    async fn list_policies_granting_service_access(
        &self,
        ctx: &RequestContext,
        input: ListPoliciesGrantingServiceAccessRequest,
    ) -> Result<ListPoliciesGrantingServiceAccessResponse, AwsError> {
        access_advisor::list_policies_granting_service_access(self, ctx, input).await
    }

    async fn get_service_last_accessed_details(
        &self,
        ctx: &RequestContext,
        input: GetServiceLastAccessedDetailsRequest,
    ) -> Result<GetServiceLastAccessedDetailsResponse, AwsError> {
        access_advisor::get_service_last_accessed_details(self, ctx, input).await
    }

    async fn get_service_last_accessed_details_with_entities(
        &self,
        ctx: &RequestContext,
        input: GetServiceLastAccessedDetailsWithEntitiesRequest,
    ) -> Result<GetServiceLastAccessedDetailsWithEntitiesResponse, AwsError> {
        access_advisor::get_service_last_accessed_details_with_entities(self, ctx, input).await
    }

    async fn tag_policy(
        &self,
        ctx: &RequestContext,
        input: TagPolicyRequest,
    ) -> Result<(), AwsError> {
        tags::tag_policy(self, ctx, input).await
    }

    async fn untag_policy(
        &self,
        ctx: &RequestContext,
        input: UntagPolicyRequest,
    ) -> Result<(), AwsError> {
        tags::untag_policy(self, ctx, input).await
    }

    async fn list_policy_tags(
        &self,
        ctx: &RequestContext,
        input: ListPolicyTagsRequest,
    ) -> Result<ListPolicyTagsResponse, AwsError> {
        tags::list_policy_tags(self, ctx, input).await
    }

    async fn tag_instance_profile(
        &self,
        ctx: &RequestContext,
        input: TagInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        tags::tag_instance_profile(self, ctx, input).await
    }

    async fn untag_instance_profile(
        &self,
        ctx: &RequestContext,
        input: UntagInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        tags::untag_instance_profile(self, ctx, input).await
    }

    async fn list_instance_profile_tags(
        &self,
        ctx: &RequestContext,
        input: ListInstanceProfileTagsRequest,
    ) -> Result<ListInstanceProfileTagsResponse, AwsError> {
        tags::list_instance_profile_tags(self, ctx, input).await
    }

    async fn tag_mfa_device(
        &self,
        ctx: &RequestContext,
        input: TagMFADeviceRequest,
    ) -> Result<(), AwsError> {
        tags::tag_mfa_device(self, ctx, input).await
    }

    async fn untag_mfa_device(
        &self,
        ctx: &RequestContext,
        input: UntagMFADeviceRequest,
    ) -> Result<(), AwsError> {
        tags::untag_mfa_device(self, ctx, input).await
    }

    async fn list_mfa_device_tags(
        &self,
        ctx: &RequestContext,
        input: ListMFADeviceTagsRequest,
    ) -> Result<ListMFADeviceTagsResponse, AwsError> {
        tags::list_mfa_device_tags(self, ctx, input).await
    }

    async fn update_role_description(
        &self,
        ctx: &RequestContext,
        input: UpdateRoleDescriptionRequest,
    ) -> Result<UpdateRoleDescriptionResponse, AwsError> {
        tags::update_role_description(self, ctx, input).await
    }

    async fn get_account_authorization_details(
        &self,
        ctx: &RequestContext,
        input: GetAccountAuthorizationDetailsRequest,
    ) -> Result<GetAccountAuthorizationDetailsResponse, AwsError> {
        authorization_details::get_account_authorization_details(self, ctx, input).await
    }

    async fn simulate_principal_policy(
        &self,
        ctx: &RequestContext,
        input: SimulatePrincipalPolicyRequest,
    ) -> Result<SimulatePolicyResponse, AwsError> {
        simulate::simulate_principal_policy(self, ctx, input).await
    }

    async fn simulate_custom_policy(
        &self,
        ctx: &RequestContext,
        input: SimulateCustomPolicyRequest,
    ) -> Result<SimulatePolicyResponse, AwsError> {
        simulate::simulate_custom_policy(self, ctx, input).await
    }

    async fn create_service_linked_role(
        &self,
        ctx: &RequestContext,
        input: CreateServiceLinkedRoleRequest,
    ) -> Result<CreateServiceLinkedRoleResponse, AwsError> {
        service_linked::create_service_linked_role(self, ctx, input).await
    }

    async fn delete_service_linked_role(
        &self,
        ctx: &RequestContext,
        input: DeleteServiceLinkedRoleRequest,
    ) -> Result<DeleteServiceLinkedRoleResponse, AwsError> {
        service_linked::delete_service_linked_role(self, ctx, input).await
    }

    async fn get_service_linked_role_deletion_status(
        &self,
        ctx: &RequestContext,
        input: GetServiceLinkedRoleDeletionStatusRequest,
    ) -> Result<GetServiceLinkedRoleDeletionStatusResponse, AwsError> {
        service_linked::get_service_linked_role_deletion_status(self, ctx, input).await
    }

    async fn get_account_summary(
        &self,
        ctx: &RequestContext,
    ) -> Result<GetAccountSummaryResponse, AwsError> {
        account::get_account_summary(self, ctx).await
    }

    async fn create_account_alias(
        &self,
        ctx: &RequestContext,
        input: CreateAccountAliasRequest,
    ) -> Result<(), AwsError> {
        account::create_account_alias(self, ctx, input).await
    }

    async fn delete_account_alias(
        &self,
        ctx: &RequestContext,
        input: DeleteAccountAliasRequest,
    ) -> Result<(), AwsError> {
        account::delete_account_alias(self, ctx, input).await
    }

    async fn list_account_aliases(
        &self,
        ctx: &RequestContext,
        input: ListAccountAliasesRequest,
    ) -> Result<ListAccountAliasesResponse, AwsError> {
        account::list_account_aliases(self, ctx, input).await
    }

    async fn generate_credential_report(
        &self,
        ctx: &RequestContext,
    ) -> Result<GenerateCredentialReportResponse, AwsError> {
        reports::generate_credential_report(self, ctx).await
    }

    async fn get_credential_report(
        &self,
        ctx: &RequestContext,
    ) -> Result<GetCredentialReportResponse, AwsError> {
        reports::get_credential_report(self, ctx).await
    }

    async fn add_user_to_group(
        &self,
        ctx: &RequestContext,
        input: AddUserToGroupRequest,
    ) -> Result<(), AwsError> {
        groups::add_user_to_group(self, ctx, input).await
    }

    async fn attach_group_policy(
        &self,
        ctx: &RequestContext,
        input: AttachGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        attachments::attach(self, ctx, Kind::Group, input.group_name, input.policy_arn).await
    }

    async fn attach_role_policy(
        &self,
        ctx: &RequestContext,
        input: AttachRolePolicyRequest,
    ) -> Result<(), AwsError> {
        attachments::attach(self, ctx, Kind::Role, input.role_name, input.policy_arn).await
    }

    async fn attach_user_policy(
        &self,
        ctx: &RequestContext,
        input: AttachUserPolicyRequest,
    ) -> Result<(), AwsError> {
        attachments::attach(self, ctx, Kind::User, input.user_name, input.policy_arn).await
    }

    async fn create_access_key(
        &self,
        ctx: &RequestContext,
        input: CreateAccessKeyRequest,
    ) -> Result<CreateAccessKeyResponse, AwsError> {
        access_keys::create_access_key(self, ctx, input).await
    }

    async fn create_group(
        &self,
        ctx: &RequestContext,
        input: CreateGroupRequest,
    ) -> Result<CreateGroupResponse, AwsError> {
        groups::create_group(self, ctx, input).await
    }

    async fn create_policy(
        &self,
        ctx: &RequestContext,
        input: CreatePolicyRequest,
    ) -> Result<CreatePolicyResponse, AwsError> {
        policies::create_policy(self, ctx, input).await
    }

    async fn create_policy_version(
        &self,
        ctx: &RequestContext,
        input: CreatePolicyVersionRequest,
    ) -> Result<CreatePolicyVersionResponse, AwsError> {
        policies::create_policy_version(self, ctx, input).await
    }

    async fn create_role(
        &self,
        ctx: &RequestContext,
        input: CreateRoleRequest,
    ) -> Result<CreateRoleResponse, AwsError> {
        roles::create_role(self, ctx, input).await
    }

    async fn create_user(
        &self,
        ctx: &RequestContext,
        input: CreateUserRequest,
    ) -> Result<CreateUserResponse, AwsError> {
        users::create_user(self, ctx, input).await
    }

    async fn delete_access_key(
        &self,
        ctx: &RequestContext,
        input: DeleteAccessKeyRequest,
    ) -> Result<(), AwsError> {
        access_keys::delete_access_key(self, ctx, input).await
    }

    async fn delete_group(
        &self,
        ctx: &RequestContext,
        input: DeleteGroupRequest,
    ) -> Result<(), AwsError> {
        groups::delete_group(self, ctx, input).await
    }

    async fn delete_group_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        inline::delete(self, ctx, Kind::Group, input.group_name, input.policy_name).await
    }

    async fn delete_policy(
        &self,
        ctx: &RequestContext,
        input: DeletePolicyRequest,
    ) -> Result<(), AwsError> {
        policies::delete_policy(self, ctx, input).await
    }

    async fn delete_policy_version(
        &self,
        ctx: &RequestContext,
        input: DeletePolicyVersionRequest,
    ) -> Result<(), AwsError> {
        policies::delete_policy_version(self, ctx, input).await
    }

    async fn delete_role(
        &self,
        ctx: &RequestContext,
        input: DeleteRoleRequest,
    ) -> Result<(), AwsError> {
        roles::delete_role(self, ctx, input).await
    }

    async fn delete_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: DeleteRolePermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        roles::delete_role_permissions_boundary(self, ctx, input).await
    }

    async fn delete_role_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteRolePolicyRequest,
    ) -> Result<(), AwsError> {
        inline::delete(self, ctx, Kind::Role, input.role_name, input.policy_name).await
    }

    async fn delete_user(
        &self,
        ctx: &RequestContext,
        input: DeleteUserRequest,
    ) -> Result<(), AwsError> {
        users::delete_user(self, ctx, input).await
    }

    async fn delete_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        users::delete_user_permissions_boundary(self, ctx, input).await
    }

    async fn delete_user_policy(
        &self,
        ctx: &RequestContext,
        input: DeleteUserPolicyRequest,
    ) -> Result<(), AwsError> {
        inline::delete(self, ctx, Kind::User, input.user_name, input.policy_name).await
    }

    async fn detach_group_policy(
        &self,
        ctx: &RequestContext,
        input: DetachGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        attachments::detach(self, ctx, Kind::Group, input.group_name, input.policy_arn).await
    }

    async fn detach_role_policy(
        &self,
        ctx: &RequestContext,
        input: DetachRolePolicyRequest,
    ) -> Result<(), AwsError> {
        attachments::detach(self, ctx, Kind::Role, input.role_name, input.policy_arn).await
    }

    async fn detach_user_policy(
        &self,
        ctx: &RequestContext,
        input: DetachUserPolicyRequest,
    ) -> Result<(), AwsError> {
        attachments::detach(self, ctx, Kind::User, input.user_name, input.policy_arn).await
    }

    async fn get_access_key_last_used(
        &self,
        ctx: &RequestContext,
        input: GetAccessKeyLastUsedRequest,
    ) -> Result<GetAccessKeyLastUsedResponse, AwsError> {
        access_keys::get_access_key_last_used(self, ctx, input).await
    }

    async fn get_group(
        &self,
        ctx: &RequestContext,
        input: GetGroupRequest,
    ) -> Result<GetGroupResponse, AwsError> {
        groups::get_group(self, ctx, input).await
    }

    async fn get_group_policy(
        &self,
        ctx: &RequestContext,
        input: GetGroupPolicyRequest,
    ) -> Result<GetGroupPolicyResponse, AwsError> {
        let (group_name, policy_name, policy_document) =
            inline::get(self, ctx, Kind::Group, input.group_name, input.policy_name).await?;
        Ok(GetGroupPolicyResponse {
            group_name,
            policy_name,
            policy_document,
        })
    }

    async fn get_policy(
        &self,
        ctx: &RequestContext,
        input: GetPolicyRequest,
    ) -> Result<GetPolicyResponse, AwsError> {
        policies::get_policy(self, ctx, input).await
    }

    async fn get_policy_version(
        &self,
        ctx: &RequestContext,
        input: GetPolicyVersionRequest,
    ) -> Result<GetPolicyVersionResponse, AwsError> {
        policies::get_policy_version(self, ctx, input).await
    }

    async fn get_role(
        &self,
        ctx: &RequestContext,
        input: GetRoleRequest,
    ) -> Result<GetRoleResponse, AwsError> {
        roles::get_role(self, ctx, input).await
    }

    async fn get_role_policy(
        &self,
        ctx: &RequestContext,
        input: GetRolePolicyRequest,
    ) -> Result<GetRolePolicyResponse, AwsError> {
        let (role_name, policy_name, policy_document) =
            inline::get(self, ctx, Kind::Role, input.role_name, input.policy_name).await?;
        Ok(GetRolePolicyResponse {
            role_name,
            policy_name,
            policy_document,
        })
    }

    async fn get_user(
        &self,
        ctx: &RequestContext,
        input: GetUserRequest,
    ) -> Result<GetUserResponse, AwsError> {
        users::get_user(self, ctx, input).await
    }

    async fn get_user_policy(
        &self,
        ctx: &RequestContext,
        input: GetUserPolicyRequest,
    ) -> Result<GetUserPolicyResponse, AwsError> {
        let (user_name, policy_name, policy_document) =
            inline::get(self, ctx, Kind::User, input.user_name, input.policy_name).await?;
        Ok(GetUserPolicyResponse {
            user_name,
            policy_name,
            policy_document,
        })
    }

    async fn list_access_keys(
        &self,
        ctx: &RequestContext,
        input: ListAccessKeysRequest,
    ) -> Result<ListAccessKeysResponse, AwsError> {
        access_keys::list_access_keys(self, ctx, input).await
    }

    async fn list_attached_group_policies(
        &self,
        ctx: &RequestContext,
        input: ListAttachedGroupPoliciesRequest,
    ) -> Result<ListAttachedGroupPoliciesResponse, AwsError> {
        let (attached_policies, is_truncated, marker) = attachments::list(
            self,
            ctx,
            Kind::Group,
            input.group_name,
            input.path_prefix,
            input.marker,
            input.max_items,
        )
        .await?;
        Ok(ListAttachedGroupPoliciesResponse {
            attached_policies,
            is_truncated,
            marker,
        })
    }

    async fn list_attached_role_policies(
        &self,
        ctx: &RequestContext,
        input: ListAttachedRolePoliciesRequest,
    ) -> Result<ListAttachedRolePoliciesResponse, AwsError> {
        let (attached_policies, is_truncated, marker) = attachments::list(
            self,
            ctx,
            Kind::Role,
            input.role_name,
            input.path_prefix,
            input.marker,
            input.max_items,
        )
        .await?;
        Ok(ListAttachedRolePoliciesResponse {
            attached_policies,
            is_truncated,
            marker,
        })
    }

    async fn list_attached_user_policies(
        &self,
        ctx: &RequestContext,
        input: ListAttachedUserPoliciesRequest,
    ) -> Result<ListAttachedUserPoliciesResponse, AwsError> {
        let (attached_policies, is_truncated, marker) = attachments::list(
            self,
            ctx,
            Kind::User,
            input.user_name,
            input.path_prefix,
            input.marker,
            input.max_items,
        )
        .await?;
        Ok(ListAttachedUserPoliciesResponse {
            attached_policies,
            is_truncated,
            marker,
        })
    }

    async fn list_entities_for_policy(
        &self,
        ctx: &RequestContext,
        input: ListEntitiesForPolicyRequest,
    ) -> Result<ListEntitiesForPolicyResponse, AwsError> {
        attachments::list_entities_for_policy(self, ctx, input).await
    }

    async fn list_group_policies(
        &self,
        ctx: &RequestContext,
        input: ListGroupPoliciesRequest,
    ) -> Result<ListGroupPoliciesResponse, AwsError> {
        let (policy_names, is_truncated, marker) = inline::list(
            self,
            ctx,
            Kind::Group,
            input.group_name,
            input.marker,
            input.max_items,
        )
        .await?;
        Ok(ListGroupPoliciesResponse {
            policy_names,
            is_truncated,
            marker,
        })
    }

    async fn list_groups(
        &self,
        ctx: &RequestContext,
        input: ListGroupsRequest,
    ) -> Result<ListGroupsResponse, AwsError> {
        groups::list_groups(self, ctx, input).await
    }

    async fn list_groups_for_user(
        &self,
        ctx: &RequestContext,
        input: ListGroupsForUserRequest,
    ) -> Result<ListGroupsForUserResponse, AwsError> {
        groups::list_groups_for_user(self, ctx, input).await
    }

    async fn list_policies(
        &self,
        ctx: &RequestContext,
        input: ListPoliciesRequest,
    ) -> Result<ListPoliciesResponse, AwsError> {
        policies::list_policies(self, ctx, input).await
    }

    async fn list_policy_versions(
        &self,
        ctx: &RequestContext,
        input: ListPolicyVersionsRequest,
    ) -> Result<ListPolicyVersionsResponse, AwsError> {
        policies::list_policy_versions(self, ctx, input).await
    }

    async fn list_role_policies(
        &self,
        ctx: &RequestContext,
        input: ListRolePoliciesRequest,
    ) -> Result<ListRolePoliciesResponse, AwsError> {
        let (policy_names, is_truncated, marker) = inline::list(
            self,
            ctx,
            Kind::Role,
            input.role_name,
            input.marker,
            input.max_items,
        )
        .await?;
        Ok(ListRolePoliciesResponse {
            policy_names,
            is_truncated,
            marker,
        })
    }

    async fn list_role_tags(
        &self,
        ctx: &RequestContext,
        input: ListRoleTagsRequest,
    ) -> Result<ListRoleTagsResponse, AwsError> {
        roles::list_role_tags(self, ctx, input).await
    }

    async fn list_roles(
        &self,
        ctx: &RequestContext,
        input: ListRolesRequest,
    ) -> Result<ListRolesResponse, AwsError> {
        roles::list_roles(self, ctx, input).await
    }

    async fn list_user_policies(
        &self,
        ctx: &RequestContext,
        input: ListUserPoliciesRequest,
    ) -> Result<ListUserPoliciesResponse, AwsError> {
        let (policy_names, is_truncated, marker) = inline::list(
            self,
            ctx,
            Kind::User,
            input.user_name,
            input.marker,
            input.max_items,
        )
        .await?;
        Ok(ListUserPoliciesResponse {
            policy_names,
            is_truncated,
            marker,
        })
    }

    async fn list_user_tags(
        &self,
        ctx: &RequestContext,
        input: ListUserTagsRequest,
    ) -> Result<ListUserTagsResponse, AwsError> {
        users::list_user_tags(self, ctx, input).await
    }

    async fn list_users(
        &self,
        ctx: &RequestContext,
        input: ListUsersRequest,
    ) -> Result<ListUsersResponse, AwsError> {
        users::list_users(self, ctx, input).await
    }

    async fn put_group_policy(
        &self,
        ctx: &RequestContext,
        input: PutGroupPolicyRequest,
    ) -> Result<(), AwsError> {
        inline::put(
            self,
            ctx,
            Kind::Group,
            input.group_name,
            input.policy_name,
            input.policy_document,
        )
        .await
    }

    async fn put_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: PutRolePermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        roles::put_role_permissions_boundary(self, ctx, input).await
    }

    async fn put_role_policy(
        &self,
        ctx: &RequestContext,
        input: PutRolePolicyRequest,
    ) -> Result<(), AwsError> {
        inline::put(
            self,
            ctx,
            Kind::Role,
            input.role_name,
            input.policy_name,
            input.policy_document,
        )
        .await
    }

    async fn put_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: PutUserPermissionsBoundaryRequest,
    ) -> Result<(), AwsError> {
        users::put_user_permissions_boundary(self, ctx, input).await
    }

    async fn put_user_policy(
        &self,
        ctx: &RequestContext,
        input: PutUserPolicyRequest,
    ) -> Result<(), AwsError> {
        inline::put(
            self,
            ctx,
            Kind::User,
            input.user_name,
            input.policy_name,
            input.policy_document,
        )
        .await
    }

    async fn remove_user_from_group(
        &self,
        ctx: &RequestContext,
        input: RemoveUserFromGroupRequest,
    ) -> Result<(), AwsError> {
        groups::remove_user_from_group(self, ctx, input).await
    }

    async fn set_default_policy_version(
        &self,
        ctx: &RequestContext,
        input: SetDefaultPolicyVersionRequest,
    ) -> Result<(), AwsError> {
        policies::set_default_policy_version(self, ctx, input).await
    }

    async fn tag_role(&self, ctx: &RequestContext, input: TagRoleRequest) -> Result<(), AwsError> {
        roles::tag_role(self, ctx, input).await
    }

    async fn tag_user(&self, ctx: &RequestContext, input: TagUserRequest) -> Result<(), AwsError> {
        users::tag_user(self, ctx, input).await
    }

    async fn untag_role(
        &self,
        ctx: &RequestContext,
        input: UntagRoleRequest,
    ) -> Result<(), AwsError> {
        roles::untag_role(self, ctx, input).await
    }

    async fn untag_user(
        &self,
        ctx: &RequestContext,
        input: UntagUserRequest,
    ) -> Result<(), AwsError> {
        users::untag_user(self, ctx, input).await
    }

    async fn update_access_key(
        &self,
        ctx: &RequestContext,
        input: UpdateAccessKeyRequest,
    ) -> Result<(), AwsError> {
        access_keys::update_access_key(self, ctx, input).await
    }

    async fn update_assume_role_policy(
        &self,
        ctx: &RequestContext,
        input: UpdateAssumeRolePolicyRequest,
    ) -> Result<(), AwsError> {
        roles::update_assume_role_policy(self, ctx, input).await
    }

    async fn update_group(
        &self,
        ctx: &RequestContext,
        input: UpdateGroupRequest,
    ) -> Result<(), AwsError> {
        groups::update_group(self, ctx, input).await
    }

    async fn update_role(
        &self,
        ctx: &RequestContext,
        input: UpdateRoleRequest,
    ) -> Result<UpdateRoleResponse, AwsError> {
        roles::update_role(self, ctx, input).await
    }

    async fn update_user(
        &self,
        ctx: &RequestContext,
        input: UpdateUserRequest,
    ) -> Result<(), AwsError> {
        users::update_user(self, ctx, input).await
    }

    async fn create_virtual_mfa_device(
        &self,
        ctx: &RequestContext,
        input: CreateVirtualMFADeviceRequest,
    ) -> Result<CreateVirtualMFADeviceResponse, AwsError> {
        mfa::create_virtual_mfa_device(self, ctx, input).await
    }

    async fn enable_mfa_device(
        &self,
        ctx: &RequestContext,
        input: EnableMFADeviceRequest,
    ) -> Result<(), AwsError> {
        mfa::enable_mfa_device(self, ctx, input).await
    }

    async fn deactivate_mfa_device(
        &self,
        ctx: &RequestContext,
        input: DeactivateMFADeviceRequest,
    ) -> Result<(), AwsError> {
        mfa::deactivate_mfa_device(self, ctx, input).await
    }

    async fn delete_virtual_mfa_device(
        &self,
        ctx: &RequestContext,
        input: DeleteVirtualMFADeviceRequest,
    ) -> Result<(), AwsError> {
        mfa::delete_virtual_mfa_device(self, ctx, input).await
    }

    async fn list_mfa_devices(
        &self,
        ctx: &RequestContext,
        input: ListMFADevicesRequest,
    ) -> Result<ListMFADevicesResponse, AwsError> {
        mfa::list_mfa_devices(self, ctx, input).await
    }

    async fn list_virtual_mfa_devices(
        &self,
        ctx: &RequestContext,
        input: ListVirtualMFADevicesRequest,
    ) -> Result<ListVirtualMFADevicesResponse, AwsError> {
        mfa::list_virtual_mfa_devices(self, ctx, input).await
    }

    async fn resync_mfa_device(
        &self,
        ctx: &RequestContext,
        input: ResyncMFADeviceRequest,
    ) -> Result<(), AwsError> {
        mfa::resync_mfa_device(self, ctx, input).await
    }

    fn reset<'a>(&'a self, then: nimbus_wire::ResetStep<'a>) -> nimbus_wire::ResetStep<'a> {
        self.reset_with(then)
    }

    async fn get_account_password_policy(
        &self,
        ctx: &RequestContext,
    ) -> Result<GetAccountPasswordPolicyResponse, AwsError> {
        passwords::get_account_password_policy(self, ctx).await
    }

    async fn update_account_password_policy(
        &self,
        ctx: &RequestContext,
        input: UpdateAccountPasswordPolicyRequest,
    ) -> Result<(), AwsError> {
        passwords::update_account_password_policy(self, ctx, input).await
    }

    async fn delete_account_password_policy(&self, ctx: &RequestContext) -> Result<(), AwsError> {
        passwords::delete_account_password_policy(self, ctx).await
    }

    async fn create_login_profile(
        &self,
        ctx: &RequestContext,
        input: CreateLoginProfileRequest,
    ) -> Result<CreateLoginProfileResponse, AwsError> {
        passwords::create_login_profile(self, ctx, input).await
    }

    async fn get_login_profile(
        &self,
        ctx: &RequestContext,
        input: GetLoginProfileRequest,
    ) -> Result<GetLoginProfileResponse, AwsError> {
        passwords::get_login_profile(self, ctx, input).await
    }

    async fn update_login_profile(
        &self,
        ctx: &RequestContext,
        input: UpdateLoginProfileRequest,
    ) -> Result<(), AwsError> {
        passwords::update_login_profile(self, ctx, input).await
    }

    async fn delete_login_profile(
        &self,
        ctx: &RequestContext,
        input: DeleteLoginProfileRequest,
    ) -> Result<(), AwsError> {
        passwords::delete_login_profile(self, ctx, input).await
    }

    async fn change_password(
        &self,
        ctx: &RequestContext,
        input: ChangePasswordRequest,
    ) -> Result<(), AwsError> {
        passwords::change_password(self, ctx, input).await
    }

    async fn create_instance_profile(
        &self,
        ctx: &RequestContext,
        input: CreateInstanceProfileRequest,
    ) -> Result<CreateInstanceProfileResponse, AwsError> {
        instance_profiles::create_instance_profile(self, ctx, input).await
    }

    async fn get_instance_profile(
        &self,
        ctx: &RequestContext,
        input: GetInstanceProfileRequest,
    ) -> Result<GetInstanceProfileResponse, AwsError> {
        instance_profiles::get_instance_profile(self, ctx, input).await
    }

    async fn delete_instance_profile(
        &self,
        ctx: &RequestContext,
        input: DeleteInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        instance_profiles::delete_instance_profile(self, ctx, input).await
    }

    async fn list_instance_profiles(
        &self,
        ctx: &RequestContext,
        input: ListInstanceProfilesRequest,
    ) -> Result<ListInstanceProfilesResponse, AwsError> {
        instance_profiles::list_instance_profiles(self, ctx, input).await
    }

    async fn add_role_to_instance_profile(
        &self,
        ctx: &RequestContext,
        input: AddRoleToInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        instance_profiles::add_role_to_instance_profile(self, ctx, input).await
    }

    async fn remove_role_from_instance_profile(
        &self,
        ctx: &RequestContext,
        input: RemoveRoleFromInstanceProfileRequest,
    ) -> Result<(), AwsError> {
        instance_profiles::remove_role_from_instance_profile(self, ctx, input).await
    }

    async fn list_instance_profiles_for_role(
        &self,
        ctx: &RequestContext,
        input: ListInstanceProfilesForRoleRequest,
    ) -> Result<ListInstanceProfilesForRoleResponse, AwsError> {
        instance_profiles::list_instance_profiles_for_role(self, ctx, input).await
    }
}
