/**
 * DescribeAcls (29), CreateAcls (30), DeleteAcls (31), v0-3. Samsa runs without an authorizer (as Kafka does
 * when authorizer.class.name is empty), and Kafka answers these APIs then with SECURITY_DISABLED
 * "No Authorizer is configured." — for the whole request, each creation, and each deletion filter.
 */
import { Apis } from '../protocol/messages/index.js'
import { ErrorCode } from '../protocol/errors.js'
import { defineHandler, type Handler } from './handler.js'

const NO_AUTHORIZER = 'No Authorizer is configured.'

export const DescribeAclsApi = Apis.DescribeAcls
export const CreateAclsApi = Apis.CreateAcls
export const DeleteAclsApi = Apis.DeleteAcls

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
