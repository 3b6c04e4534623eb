import { jestGlobalTeardown } from 'samsa'

export default jestGlobalTeardown
