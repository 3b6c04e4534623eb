/**
 * DescribeAcls (29), CreateAcls (30), DeleteAcls (31), v0-3. Samsa runs without an authorizer (as Kafka does
 * when authorizer.class.name is empty), and Kafka answers these APIs then with SECURITY_DISABLED
 * "No Authorizer is configured." — for the whole request, each creation, and each deletion filter.
 */
import { ErrorCode } from '../protocol/errors.js'
import { CreateAclsRequest, CreateAclsResponse } from '../protocol/messages/30-create-acls.js'
import { DeleteAclsRequest, DeleteAclsResponse } from '../protocol/messages/31-delete-acls.js'
import { DescribeAclsRequest, DescribeAclsResponse } from '../protocol/messages/29-describe-acls.js'
import { api, defineHandler, type Handler } from './handler.js'

const NO_AUTHORIZER = 'No Authorizer is configured.'

export const DescribeAclsApi = api(29, 'DescribeAcls', DescribeAclsRequest, DescribeAclsResponse)
export const CreateAclsApi = api(30, 'CreateAcls', CreateAclsRequest, CreateAclsResponse)
export const DeleteAclsApi = api(31, 'DeleteAcls', DeleteAclsRequest, DeleteAclsResponse)

export function aclHandlers(): Handler[] {
  return [
    defineHandler(DescribeAclsApi, {
      handle: () => ({
        throttleTimeMs: 0,
        errorCode: ErrorCode.SECURITY_DISABLED,
        errorMessage: NO_AUTHORIZER,
        resources: [],
      }),
    }),
    defineHandler(CreateAclsApi, {
      handle: (req) => ({
        throttleTimeMs: 0,
        results: req.creations.map(() => ({
          errorCode: ErrorCode.SECURITY_DISABLED,
          errorMessage: NO_AUTHORIZER,
        })),
      }),
    }),
    defineHandler(DeleteAclsApi, {
      handle: (req) => ({
        throttleTimeMs: 0,
        filterResults: req.filters.map(() => ({
          errorCode: ErrorCode.SECURITY_DISABLED,
          errorMessage: NO_AUTHORIZER,
          matchingAcls: [],
        })),
      }),
    }),
  ] as Handler[]
}
