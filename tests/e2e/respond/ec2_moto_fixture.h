#pragma once
// The moto_server fixture of an instance that ec2-contain can contain, shared by the playbook
// tests through the library (playbooks_moto_test.cpp) and through the CLI
// (ec2_contain_kill9_moto_test.cpp).

#include <string>

#include "firebreak/cloud/aws/provider.h"
#include "moto_server.h"

namespace firebreak::respond::e2e {

// firebreak's AWS client pointed at `moto` as the given (fake) key, with no ambient
// environment and few retries (moto answers at once or not at all).
inline cloud::aws::AwsProviderConfig moto_provider_config(const testing::MotoServer& moto,
                                                          const std::string& access_key_id,
                                                          const std::string& secret) {
  cloud::aws::AwsProviderConfig cfg;
  cfg.env = cloud::aws::fixed_environment({});
  cfg.options.region = "us-east-1";
  cfg.options.endpoint_url = moto.endpoint();
  cfg.options.access_key_id = access_key_id;
  cfg.options.secret_access_key = secret;
  cfg.retry.max_attempts = 2;
  return cfg;
}

// An instance with an instance profile, two volumes, two ENIs, an Elastic IP, in an Auto Scaling
// group, a target group and a classic ELB — built with boto3 (the seam does not create
// ASGs/ELBs). Two things are spelled out for moto 5.2.1, both valid requests on AWS too:
//  - The root volume is in BlockDeviceMappings: AWS merges the AMI's root mapping with the ones
//    given, but moto's RunInstances creates only the given ones when any are given (no root
//    volume; ec2/models/instances.py, setup_defaults is skipped).
//  - The security group is given on the network interface, not as SecurityGroupIds: moto reports
//    an attached ENI's groups as its own plus the instance's launch groups
//    (NetworkInterface.group_set), and ModifyNetworkInterfaceAttribute replaces only the former,
//    so an instance launched with SecurityGroupIds keeps showing them after isolation. On AWS an
//    instance has no groups apart from its ENIs'.
// Shutdown behaviour stays at its default, stop: moto ignores ModifyInstanceAttribute's
// InstanceInitiatedShutdownBehavior.Value (the SDKs' form, which firebreak sends), so preserve
// could not change a terminate instance here. The change is covered on the simulator and named
// in the conformance suite (Capabilities::shutdown_behavior_modification).
inline constexpr const char* kEc2Setup = R"(import json
ec2, iam = c('ec2'), c('iam')
trust = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'ec2.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}
iam.create_role(RoleName='web-role', AssumeRolePolicyDocument=json.dumps(trust))
iam.create_instance_profile(InstanceProfileName='web-profile')
iam.add_role_to_instance_profile(InstanceProfileName='web-profile', RoleName='web-role')
vpc = ec2.describe_vpcs(Filters=[{'Name': 'isDefault', 'Values': ['true']}])['Vpcs'][0]['VpcId']
subnet = ec2.describe_subnets(Filters=[{'Name': 'default-for-az', 'Values': ['true']}])['Subnets'][0]
sg = ec2.create_security_group(GroupName='web-sg', Description='web', VpcId=vpc)['GroupId']
ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{'IpProtocol': 'tcp', 'FromPort': 443, 'ToPort': 443, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])
i = ec2.run_instances(ImageId='ami-12c6146b', MinCount=1, MaxCount=1, InstanceType='t3.micro',
    NetworkInterfaces=[{'DeviceIndex': 0, 'SubnetId': subnet['SubnetId'], 'Groups': [sg]}],
    IamInstanceProfile={'Name': 'web-profile'},
    BlockDeviceMappings=[{'DeviceName': '/dev/sda1', 'Ebs': {'VolumeSize': 8, 'DeleteOnTermination': True}},
                         {'DeviceName': '/dev/sdf', 'Ebs': {'VolumeSize': 20, 'DeleteOnTermination': True}}])['Instances'][0]['InstanceId']
eni2 = ec2.create_network_interface(SubnetId=subnet['SubnetId'], Groups=[sg])['NetworkInterface']['NetworkInterfaceId']
ec2.attach_network_interface(NetworkInterfaceId=eni2, InstanceId=i, DeviceIndex=1)
alloc = ec2.allocate_address(Domain='vpc')['AllocationId']
ec2.associate_address(AllocationId=alloc, InstanceId=i)
elbv2, elb, asg = c('elbv2'), c('elb'), c('autoscaling')
tg = elbv2.create_target_group(Name='web-tg', Protocol='HTTP', Port=80, VpcId=vpc, TargetType='instance')['TargetGroups'][0]['TargetGroupArn']
elbv2.register_targets(TargetGroupArn=tg, Targets=[{'Id': i}])
elb.create_load_balancer(LoadBalancerName='web-elb', Listeners=[{'Protocol': 'HTTP', 'LoadBalancerPort': 80, 'InstancePort': 80}], AvailabilityZones=[subnet['AvailabilityZone']])
elb.register_instances_with_load_balancer(LoadBalancerName='web-elb', Instances=[{'InstanceId': i}])
asg.create_launch_configuration(LaunchConfigurationName='web-lc', ImageId='ami-12c6146b', InstanceType='t3.micro')
asg.create_auto_scaling_group(AutoScalingGroupName='web-asg', LaunchConfigurationName='web-lc', MinSize=0, MaxSize=3, DesiredCapacity=0, VPCZoneIdentifier=subnet['SubnetId'])
asg.attach_instances(InstanceIds=[i], AutoScalingGroupName='web-asg')
print(i + ' ' + tg)
)";

}  // namespace firebreak::respond::e2e
