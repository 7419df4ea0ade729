#!/usr/bin/env python3
"""Independent derivation of the expected hits of the 57 SigmaHQ CloudTrail rules over the
Stratus Red Team detonation logs.

Each rule's detection section was read by hand and re-expressed below as a Python predicate over
the raw JSON record. Nothing here uses firebreak: the predicates encode what each rule says, under
the matching conventions documented in docs/detection.md (string comparisons are ASCII
case-insensitive; `field: null` means absent or JSON null; a value tested against an object
matches its compact JSON text; arrays match when any element does).

Usage: derive_sigma_golden.py <testdata-dir> > sigma_stratus_golden.tsv
Output: one line per hit: <stratus file name>\t<record index>\t<rule file name>
"""
import json
import os
import re
import sys


def values(rec, path):
    """Every value reached by a dotted path; arrays met on the way fan out."""
    cur = [rec]
    for seg in path.split('.'):
        nxt = []
        for c in cur:
            stack = [c]
            while stack:
                x = stack.pop()
                if isinstance(x, list):
                    stack.extend(x)
                elif isinstance(x, dict) and seg in x:
                    nxt.append(x[seg])
        cur = nxt
    out = []
    for c in cur:
        if isinstance(c, list):
            out.extend(c)  # the last segment's array: any element
        else:
            out.append(c)
    return out, len(cur) > 0


def text(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, str):
        return v
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(',', ':'), ensure_ascii=False)
    return json.dumps(v)


def texts(rec, path):
    vs, _ = values(rec, path)
    return [t for t in (text(v) for v in vs) if t is not None]


def eq(rec, path, *wanted):
    w = {x.lower() for x in wanted}
    return any(t.lower() in w for t in texts(rec, path))


def contains(rec, path, needle):
    return any(needle.lower() in t.lower() for t in texts(rec, path))


def startswith(rec, path, prefix):
    return any(t.lower().startswith(prefix.lower()) for t in texts(rec, path))


def is_null(rec, path):
    vs, present = values(rec, path)
    return (not present) or any(v is None for v in vs)


def nonempty(rec, path):
    """`field|contains: '*'`: any non-null value (the empty string included)."""
    return len(texts(rec, path)) > 0


def src(rec, s):
    return eq(rec, 'eventSource', s)


def name(rec, *n):
    return eq(rec, 'eventName', *n)


def ok_status(rec):
    return eq(rec, 'errorCode', 'Success') or is_null(rec, 'errorCode')


P = {
    'aws_cloudtrail_bedrock_guardrail_deleted.yml':
        lambda r: name(r, 'DeleteGuardrail') and src(r, 'bedrock.amazonaws.com'),
    'aws_cloudtrail_bedrock_guardrail_updated.yml':
        lambda r: name(r, 'UpdateGuardrail') and src(r, 'bedrock.amazonaws.com'),
    'aws_cloudtrail_bucket_deleted.yml':
        lambda r: name(r, 'DeleteBucket') and ok_status(r),
    'aws_cloudtrail_console_login_failed_authentication.yml':
        lambda r: name(r, 'ConsoleLogin') and eq(r, 'errorMessage', 'Failed authentication'),
    'aws_cloudtrail_console_login_success_without_mfa.yml':
        lambda r: name(r, 'ConsoleLogin') and eq(r, 'additionalEventData.MFAUsed', 'NO') and
        eq(r, 'responseElements.ConsoleLogin', 'Success'),
    'aws_cloudtrail_disable_logging.yml':
        lambda r: src(r, 'cloudtrail.amazonaws.com') and
        name(r, 'StopLogging', 'UpdateTrail', 'DeleteTrail'),
    'aws_cloudtrail_guardduty_detector_deleted_or_updated.yml':
        lambda r: src(r, 'guardduty.amazonaws.com') and
        (name(r, 'DeleteDetector') or
         (name(r, 'UpdateDetector') and eq(r, 'requestParameters.enable', 'false'))) and
        ok_status(r),
    'aws_cloudtrail_imds_malicious_usage.yml':
        lambda r: any(re.search(r'.+:assumed-role/aws:.+', t) for t in texts(r, 'userIdentity.arn'))
        and not (src(r, 'ssm.amazonaws.com') or name(r, 'RegisterManagedInstance') or
                 eq(r, 'sourceIPAddress', 'AWS Internal')),
    'aws_cloudtrail_new_acl_entries.yml':
        lambda r: src(r, 'ec2.amazonaws.com') and name(r, 'CreateNetworkAclEntry'),
    'aws_cloudtrail_new_route_added.yml':
        lambda r: src(r, 'ec2.amazonaws.com') and name(r, 'CreateRoute'),
    'aws_cloudtrail_pua_trufflehog.yml':
        lambda r: eq(r, 'userAgent', 'TruffleHog'),
    'aws_cloudtrail_region_enabled.yml':
        lambda r: name(r, 'EnableRegion') and src(r, 'account.amazonaws.com'),
    'aws_cloudtrail_security_group_change_ingress_egress.yml':
        lambda r: src(r, 'ec2.amazonaws.com') and
        name(r, 'AuthorizeSecurityGroupEgress', 'AuthorizeSecurityGroupIngress',
             'RevokeSecurityGroupEgress', 'RevokeSecurityGroupIngress'),
    'aws_cloudtrail_security_group_change_loadbalancer.yml':
        lambda r: src(r, 'elasticloadbalancing.amazonaws.com') and
        name(r, 'ApplySecurityGroupsToLoadBalancer', 'SetSecurityGroups'),
    'aws_cloudtrail_security_group_change_rds.yml':
        lambda r: src(r, 'rds.amazonaws.com') and
        name(r, 'AuthorizeDBSecurityGroupIngress', 'CreateDBSecurityGroup', 'DeleteDBSecurityGroup',
             'RevokeDBSecurityGroupIngress'),
    'aws_cloudtrail_ssm_malicious_usage.yml':
        lambda r: name(r, 'SendCommand') and src(r, 'ssm.amazonaws.com') and ok_status(r),
    'aws_cloudtrail_vpc_flow_logs_deleted.yml':
        lambda r: name(r, 'DeleteFlowLogs') and ok_status(r),
    'aws_config_disable_recording.yml':
        lambda r: src(r, 'config.amazonaws.com') and
        name(r, 'DeleteDeliveryChannel', 'StopConfigurationRecorder'),
    'aws_console_getsignintoken.yml':
        lambda r: src(r, 'signin.amazonaws.com') and name(r, 'GetSigninToken') and
        not contains(r, 'userAgent', 'Jersey/${project.version}'),
    'aws_delete_identity.yml':
        lambda r: src(r, 'ses.amazonaws.com') and name(r, 'DeleteIdentity'),
    'aws_delete_saml_provider.yml':
        lambda r: src(r, 'iam.amazonaws.com') and name(r, 'DeleteSAMLProvider') and
        eq(r, 'status', 'success'),
    'aws_disable_bucket_versioning.yml':
        lambda r: src(r, 's3.amazonaws.com') and name(r, 'PutBucketVersioning') and
        contains(r, 'requestParameters', 'Suspended'),
    'aws_ec2_disable_encryption.yml':
        lambda r: src(r, 'ec2.amazonaws.com') and name(r, 'DisableEbsEncryptionByDefault'),
    'aws_ec2_import_key_pair_activity.yml':
        lambda r: src(r, 'ec2.amazonaws.com') and name(r, 'ImportKeyPair'),
    'aws_ec2_startup_script_change.yml':
        lambda r: src(r, 'ec2.amazonaws.com') and eq(r, 'requestParameters.attribute', 'userData')
        and name(r, 'ModifyInstanceAttribute'),
    # filter1/filter2 are `|contains: '*'`: the field has a value. filter3: responseElements'
    # text contains 'Failure'.
    'aws_ec2_vm_export_failure.yml':
        lambda r: name(r, 'CreateInstanceExportTask') and src(r, 'ec2.amazonaws.com') and
        not (nonempty(r, 'errorMessage') or nonempty(r, 'errorCode') or
             contains(r, 'responseElements', 'Failure')),
    'aws_ecs_task_definition_cred_endpoint_query.yml':
        lambda r: src(r, 'ecs.amazonaws.com') and
        name(r, 'DescribeTaskDefinition', 'RegisterTaskDefinition', 'RunTask') and
        contains(r, 'requestParameters.containerDefinitions.command',
                 '$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'),
    'aws_efs_fileshare_modified_or_deleted.yml':
        lambda r: src(r, 'elasticfilesystem.amazonaws.com') and name(r, 'DeleteFileSystem'),
    'aws_efs_fileshare_mount_modified_or_deleted.yml':
        lambda r: src(r, 'elasticfilesystem.amazonaws.com') and name(r, 'DeleteMountTarget'),
    'aws_eks_cluster_created_or_deleted.yml':
        lambda r: src(r, 'eks.amazonaws.com') and name(r, 'CreateCluster', 'DeleteCluster'),
    'aws_elasticache_security_group_created.yml':
        lambda r: src(r, 'elasticache.amazonaws.com') and name(r, 'CreateCacheSecurityGroup'),
    'aws_elasticache_security_group_modified_or_deleted.yml':
        lambda r: src(r, 'elasticache.amazonaws.com') and
        name(r, 'DeleteCacheSecurityGroup', 'AuthorizeCacheSecurityGroupIngress',
             'RevokeCacheSecurityGroupIngress', 'AuthorizeCacheSecurityGroupEgress',
             'RevokeCacheSecurityGroupEgress'),
    'aws_enum_buckets.yml':
        lambda r: src(r, 's3.amazonaws.com') and name(r, 'ListBuckets') and
        not eq(r, 'userIdentity.type', 'AssumedRole'),
    'aws_guardduty_disruption.yml':
        lambda r: src(r, 'guardduty.amazonaws.com') and name(r, 'CreateIPSet'),
    # The filter value has no |fieldref: it is the literal text
    # 'responseElements.accessKey.userName', which no ARN contains.
    'aws_iam_backdoor_users_keys.yml':
        lambda r: src(r, 'iam.amazonaws.com') and name(r, 'CreateAccessKey') and
        not contains(r, 'userIdentity.arn', 'responseElements.accessKey.userName'),
    'aws_iam_s3browser_loginprofile_creation.yml':
        lambda r: src(r, 'iam.amazonaws.com') and name(r, 'GetLoginProfile', 'CreateLoginProfile')
        and contains(r, 'userAgent', 'S3 Browser'),
    'aws_iam_s3browser_templated_s3_bucket_policy_creation.yml':
        lambda r: src(r, 'iam.amazonaws.com') and name(r, 'PutUserPolicy') and
        contains(r, 'userAgent', 'S3 Browser') and
        all(contains(r, 'requestParameters', x) for x in
            ['"arn:aws:s3:::<YOUR-BUCKET-NAME>/*"', '"s3:GetObject"', '"Allow"']),
    'aws_iam_s3browser_user_or_accesskey_creation.yml':
        lambda r: src(r, 'iam.amazonaws.com') and name(r, 'CreateUser', 'CreateAccessKey') and
        contains(r, 'userAgent', 'S3 Browser'),
    'aws_kms_import_key_material.yml':
        lambda r: src(r, 'kms.amazonaws.com') and
        name(r, 'ImportKeyMaterial', 'DeleteImportedKeyMaterial'),
    'aws_lambda_function_url.yml':
        lambda r: src(r, 'lambda.amazonaws.com') and name(r, 'CreateFunctionUrlConfig'),
    'aws_new_lambda_layer_attached.yml':
        lambda r: src(r, 'lambda.amazonaws.com') and
        startswith(r, 'eventName', 'UpdateFunctionConfiguration') and
        nonempty(r, 'requestParameters.layers'),
    'aws_passed_role_to_glue_development_endpoint.yml':
        lambda r: src(r, 'glue.amazonaws.com') and
        name(r, 'CreateDevEndpoint', 'DeleteDevEndpoint', 'UpdateDevEndpoint'),
    'aws_rds_change_master_password.yml':
        lambda r: src(r, 'rds.amazonaws.com') and
        nonempty(r, 'responseElements.pendingModifiedValues.masterUserPassword') and
        name(r, 'ModifyDBInstance'),
    'aws_rds_dbcluster_actions.yml':
        lambda r: src(r, 'rds.amazonaws.com') and name(r, 'ModifyDBCluster', 'DeleteDBCluster'),
    'aws_rds_public_db_restore.yml':
        lambda r: src(r, 'rds.amazonaws.com') and
        eq(r, 'responseElements.publiclyAccessible', 'true') and
        name(r, 'RestoreDBInstanceFromDBSnapshot'),
    'aws_root_account_usage.yml':
        lambda r: eq(r, 'userIdentity.type', 'Root') and not eq(r, 'eventType', 'AwsServiceEvent'),
    'aws_route_53_domain_transferred_lock_disabled.yml':
        lambda r: src(r, 'route53.amazonaws.com') and name(r, 'DisableDomainTransferLock'),
    'aws_route_53_domain_transferred_to_another_account.yml':
        lambda r: src(r, 'route53.amazonaws.com') and name(r, 'TransferDomainToAnotherAwsAccount'),
    'aws_s3_data_management_tampering.yml':
        lambda r: src(r, 's3.amazonaws.com') and
        name(r, 'PutBucketLogging', 'PutBucketWebsite', 'PutEncryptionConfiguration',
             'PutLifecycleConfiguration', 'PutReplicationConfiguration', 'ReplicateObject',
             'RestoreObject'),
    'aws_securityhub_finding_evasion.yml':
        lambda r: src(r, 'securityhub.amazonaws.com') and
        name(r, 'BatchUpdateFindings', 'DeleteInsight', 'UpdateFindings', 'UpdateInsight'),
    'aws_snapshot_backup_exfiltration.yml':
        lambda r: src(r, 'ec2.amazonaws.com') and name(r, 'ModifySnapshotAttribute'),
    'aws_sso_idp_change.yml':
        lambda r: (src(r, 'sso-directory.amazonaws.com') or src(r, 'sso.amazonaws.com')) and
        name(r, 'AssociateDirectory', 'DisableExternalIdPConfigurationForDirectory',
             'DisassociateDirectory', 'EnableExternalIdPConfigurationForDirectory'),
    'aws_sts_assumerole_misuse.yml':
        lambda r: eq(r, 'userIdentity.type', 'AssumedRole') and
        eq(r, 'userIdentity.sessionContext.sessionIssuer.type', 'Role'),
    'aws_sts_getcalleridentity_trufflehog.yml':
        lambda r: src(r, 'sts.amazonaws.com') and name(r, 'GetCallerIdentity') and
        contains(r, 'userAgent', 'TruffleHog'),
    'aws_sts_getsessiontoken_misuse.yml':
        lambda r: src(r, 'sts.amazonaws.com') and name(r, 'GetSessionToken') and
        eq(r, 'userIdentity.type', 'IAMUser'),
    'aws_susp_saml_activity.yml':
        lambda r: (src(r, 'sts.amazonaws.com') and name(r, 'AssumeRoleWithSAML')) or
        (src(r, 'iam.amazonaws.com') and name(r, 'UpdateSAMLProvider')),
    # fieldref: the filter holds when userIdentity.arn equals requestParameters.userName
    # (case-insensitively); an ARN never equals a bare user name.
    'aws_update_login_profile.yml':
        lambda r: src(r, 'iam.amazonaws.com') and name(r, 'UpdateLoginProfile') and
        not any(a.lower() == u.lower() for a in texts(r, 'userIdentity.arn')
                for u in texts(r, 'requestParameters.userName')),
}


def main():
    base = sys.argv[1]
    rules_dir = os.path.join(base, 'sigma/rules/cloud/aws/cloudtrail')
    logs_dir = os.path.join(base, 'stratus/docs/detonation-logs')
    rules = sorted(f for f in os.listdir(rules_dir) if f.endswith('.yml'))
    missing = set(rules) - set(P)
    if missing or len(rules) != 57:
        sys.exit(f'predicates missing for {sorted(missing)} (rules: {len(rules)})')
    for log in sorted(os.listdir(logs_dir)):
        if not log.endswith('.json'):
            continue
        with open(os.path.join(logs_dir, log)) as fh:
            records = json.load(fh)
        for i, rec in enumerate(records):
            for rule in rules:
                if P[rule](rec):
                    print(f'{log}\t{i}\t{rule}')


if __name__ == '__main__':
    main()
